"""GET /audit filters fill their pages: with many entries of mixed actors, actions and resources,
every filtered list has full pages until the last and never an empty page with a cursor."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.core import clock
from chalicelib.domain import audit as audit_domain
from chalicelib.storage import base
from chalicelib.storage.audit import AuditRecord
from tests.support import count_aws_calls, walk_pages

RARE_ACTION = "alert.ack"


def _walk(api, token, query: str, limit: int) -> list[list[dict]]:
    return walk_pages(api, token, "/audit", query, limit)[0]


def _assert_full_pages(pages, limit, expected, query) -> None:
    sizes = [len(page) for page in pages]
    assert all(size == limit for size in sizes[:-1]), (query, sizes)
    assert 0 < sizes[-1] <= limit or expected == [], (query, sizes)
    assert [e["id"] for page in pages for e in page] == [e["id"] for e in expected], query


@pytest.fixture
def trail(api, admin, make_user):
    """300 entries over the last 300 seconds: three actors (and failed logins with none), every
    action, a few resources. Returns every entry newest first (read unfiltered) and the actors."""
    alice, bob = make_user("developer"), make_user("viewer")
    actors = [admin.id, alice.id, bob.id, None]
    resources = [clock.new_id() for _ in range(4)]
    common = [a for a in audit_domain.ACTIONS if a != RARE_ACTION]
    start = clock.now() - timedelta(seconds=400)
    with AuditRecord.batch_write() as batch:
        for i in range(300):
            action = RARE_ACTION if i % 97 == 13 else common[(i * 5) % len(common)]
            timestamp = clock.iso(start + timedelta(seconds=i))
            entry_id = clock.new_id()
            batch.save(AuditRecord(
                entry_id, timestamp=timestamp, actor_id=actors[(i // 3) % 4], actor_email=None, action=action,
                resource_type=audit_domain.resource_type_of(action), resource_id=resources[i % 4] if i % 5 else None,
                changes={}, request_id=None, source_ip=None, sort_key=clock.sort_key(timestamp, entry_id)))
    everything = [e for page in _walk(api, admin.token, "", 100) for e in page]
    assert len(everything) > 300
    return everything, {"admin": admin, "alice": alice, "bob": bob}, resources, start


def test_every_filtered_audit_list_has_full_pages_until_the_last(api, trail, monkeypatch):
    entries, people, resources, start = trail
    admin, alice, bob = people["admin"], people["alice"], people["bob"]
    since, until = clock.iso(start + timedelta(seconds=50)), clock.iso(start + timedelta(seconds=250))
    cases = {
        f"actor_id={alice.id}": lambda e: e["actor_id"] == alice.id,
        "action=flag.update": lambda e: e["action"] == "flag.update",
        f"action={RARE_ACTION}": lambda e: e["action"] == RARE_ACTION,
        "resource_type=deployment": lambda e: e["resource_type"] == "deployment",
        f"resource_id={resources[1]}": lambda e: e["resource_id"] == resources[1],
        f"actor_id={bob.id}&action=service.create": lambda e: e["actor_id"] == bob.id
        and e["action"] == "service.create",
        f"actor_id={alice.id}&resource_type=flag": lambda e: e["actor_id"] == alice.id
        and e["resource_type"] == "flag",
        f"resource_id={resources[2]}&action=user.update": lambda e: e["resource_id"] == resources[2]
        and e["action"] == "user.update",
        f"resource_id={resources[3]}&resource_type=service&actor_id={admin.id}": lambda e: e["resource_id"]
        == resources[3] and e["resource_type"] == "service" and e["actor_id"] == admin.id,
        "action=auth.login_failed&resource_type=user": lambda e: e["action"] == "auth.login_failed",
        "action=flag.create&resource_type=user": lambda e: False,
        f"since={since}&until={until}&resource_type=sdk_key": lambda e: since <= e["timestamp"] <= until
        and e["resource_type"] == "sdk_key",
        f"since={since}&action=deployment.trigger": lambda e: e["timestamp"] >= since
        and e["action"] == "deployment.trigger",
    }
    for query, keep in cases.items():
        expected = [e for e in entries if keep(e)]
        for limit in (2, 7) if len(expected) < 40 else (7, 20):
            _assert_full_pages(_walk(api, admin.token, query, limit), limit, expected, f"{query} limit={limit}")
    assert len([e for e in entries if e["action"] == RARE_ACTION]) == 3  # i = 13, 110, 207

    # A non-admin: only their own entries, still full pages.
    mine = [e for e in entries if e["actor_id"] == alice.id]
    for query, keep in {"": lambda e: True, "resource_type=flag": lambda e: e["resource_type"] == "flag",
                        "action=deployment.cancel": lambda e: e["action"] == "deployment.cancel",
                        f"since={since}": lambda e: e["timestamp"] >= since}.items():
        expected = [e for e in mine if keep(e)]
        assert expected, query
        _assert_full_pages(_walk(api, alice.token, query, 3), 3, expected, f"alice: {query}")

    # Only when the read bound is hit is a page short, and the cursor still leads to the rest.
    monkeypatch.setattr(base, "FILTERED_READ_LIMIT", 10)
    query = f"actor_id={alice.id}&resource_type=flag"
    pages = _walk(api, admin.token, query, 4)
    assert [e["id"] for page in pages for e in page] == [e["id"] for e in entries
                                                        if e["actor_id"] == alice.id and e["resource_type"] == "flag"]
    assert any(len(page) < 4 for page in pages[:-1])


def test_the_action_filter_is_served_by_its_own_index(api, trail):
    entries, people, _, _ = trail
    expected = [e["id"] for e in entries if e["action"] == "flag.delete"][:5]
    with count_aws_calls() as calls:
        reply = api.get("/audit?action=flag.delete&limit=5", token=people["admin"].token)
    # An index keyed by the action: the page is the first five it holds, read with one Query.
    assert [e["id"] for e in reply.body["items"]] == expected
    assert calls.count(operation="Query") == 1
