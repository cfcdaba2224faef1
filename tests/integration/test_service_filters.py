"""GET /services filters: `name` (0 or 1 item), `lifecycle`, `tag`, `owner_id`, combined, and every
filtered page full until the last."""
from __future__ import annotations

import uuid

import pytest

from chalicelib.domain import services as services_domain
from chalicelib.domain.caller import Caller
from chalicelib.storage import base
from tests.support import count_aws_calls, walk_pages

LIFECYCLES = ("experimental", "production", "deprecated")
TAG_POOL = ("web", "batch", "pci", "edge")


def _walk(api, token, query: str, limit: int) -> list[list[dict]]:
    """Every page of one filtered list, following next_cursor."""
    return walk_pages(api, token, "/services", query, limit)[0]


def _assert_full_pages(pages: list[list[dict]], limit: int, expected: list[dict], query: str) -> None:
    sizes = [len(page) for page in pages]
    # Full pages until the last; the last holds the rest (it is empty only if nothing matched at all).
    assert all(size == limit for size in sizes[:-1]), (query, sizes)
    assert 0 < sizes[-1] <= limit or expected == [], (query, sizes)
    listed = [s["id"] for page in pages for s in page]
    assert listed == [s["id"] for s in expected], query


@pytest.fixture
def catalog(admin, make_user):
    """300 services in mixed lifecycles, tags and two owners, created through the domain (so the tag
    index is written as in production). Returns them newest first, with the two owners."""
    other = make_user("developer")
    acting = Caller(kind="user", id=admin.id, email=admin.user["email"], role="admin", request_id="seed")
    made = []
    for i in range(300):
        tags = [tag for bit, tag in enumerate(TAG_POOL) if (i * 7 + bit) % (bit + 2) == 0]
        if i % 61 == 5:
            tags.append("rare")  # five services, far apart: pages must read far ahead to fill
        made.append(services_domain.create_service(
            acting, f"svc-{i:03d}-{uuid.uuid4().hex[:6]}", lifecycle=LIFECYCLES[(i // 2) % 3], tags=tags,
            owner_id=other.id if i % 4 == 1 else admin.id))
    made.reverse()
    return made, admin, other


def test_every_filtered_list_has_full_pages_until_the_last(api, catalog, viewer, monkeypatch):
    services, admin, other = catalog
    cases = {
        "lifecycle=production": lambda s: s["lifecycle"] == "production",
        "lifecycle=deprecated": lambda s: s["lifecycle"] == "deprecated",
        "tag=web": lambda s: "web" in s["tags"],
        "tag=pci": lambda s: "pci" in s["tags"],
        "tag=rare": lambda s: "rare" in s["tags"],
        "tag=nobody-has-this": lambda s: False,
        f"owner_id={other.id}": lambda s: s["owner_id"] == other.id,
        f"owner_id={other.id}&lifecycle=experimental": lambda s: s["owner_id"] == other.id
        and s["lifecycle"] == "experimental",
        "tag=batch&lifecycle=production": lambda s: "batch" in s["tags"] and s["lifecycle"] == "production",
        f"tag=edge&owner_id={other.id}": lambda s: "edge" in s["tags"] and s["owner_id"] == other.id,
        f"tag=web&lifecycle=deprecated&owner_id={admin.id}": lambda s: "web" in s["tags"]
        and s["lifecycle"] == "deprecated" and s["owner_id"] == admin.id,
        f"tag=rare&owner_id={other.id}": lambda s: "rare" in s["tags"] and s["owner_id"] == other.id,
    }
    for query, keep in cases.items():
        expected = [s for s in services if keep(s)]
        for limit in (2, 7) if len(expected) < 40 else (7, 20):
            pages = _walk(api, viewer.token, query, limit)
            _assert_full_pages(pages, limit, expected, f"{query} limit={limit}")
    # The seed really mixes things: each filter keeps some services and drops others.
    assert 0 < len([s for s in services if "web" in s["tags"]]) < 300
    assert len([s for s in services if "rare" in s["tags"]]) == 5

    # Only when the read bound is hit may a page be short, and it still leads on to the rest.
    monkeypatch.setattr(base, "FILTERED_READ_LIMIT", 12)
    query = f"owner_id={other.id}&lifecycle=deprecated"  # the owner's index, lifecycle filtering it
    expected = [s["id"] for s in services if s["owner_id"] == other.id and s["lifecycle"] == "deprecated"]
    pages = _walk(api, viewer.token, query, 5)
    assert [s["id"] for page in pages for s in page] == expected
    # With only 12 items read per request, some pages come back short, but each still leads on.
    assert any(len(page) < 5 for page in pages[:-1])
    monkeypatch.setattr(base, "FILTERED_READ_LIMIT", 1000)
    _assert_full_pages(_walk(api, viewer.token, query, 5), 5, [s for s in services if s["id"] in set(expected)],
                       query)


def test_the_name_filter_is_one_key_lookup_with_zero_or_one_item(api, admin, developer):
    created = api.post("/services", {"name": "payments-api", "lifecycle": "production", "tags": ["pci"]},
                       token=developer.token).body
    api.post("/services", {"name": "payments-api-v2"}, token=developer.token)
    with count_aws_calls() as calls:
        found = api.get("/services?name=payments-api", token=admin.token)
    assert found.status == 200
    assert found.body == {"items": [created], "next_cursor": None}
    assert calls.count(operation="Query") == 0 and calls.scans == 0
    assert calls.count(operation="GetItem") <= 3  # the caller, the name guard, the service
    assert api.get("/services?name=payments", token=admin.token).body == {"items": [], "next_cursor": None}
    # Combined: all filters must hold.
    assert len(api.get("/services?name=payments-api&tag=pci&lifecycle=production",
                       token=admin.token).body["items"]) == 1
    assert api.get("/services?name=payments-api&tag=web", token=admin.token).body["items"] == []
    assert api.get("/services?name=payments-api&lifecycle=deprecated", token=admin.token).body["items"] == []
    assert api.get(f"/services?name=payments-api&owner_id={admin.id}", token=admin.token).body["items"] == []
    # A renamed service is found by its new name only.
    api.patch(f"/services/{created['id']}", {"name": "card-payments"}, token=developer.token)
    assert api.get("/services?name=payments-api", token=admin.token).body["items"] == []
    assert [s["id"] for s in api.get("/services?name=card-payments", token=admin.token).body["items"]] == [
        created["id"]]


def test_the_tag_index_follows_updates_and_deletes(api, admin, developer, make_user):
    other = make_user("developer")
    service = api.post("/services", {"name": "search", "tags": ["web", "edge", "web"]}, token=developer.token).body

    def ids(query):
        reply = api.get(f"/services?{query}", token=admin.token)
        assert reply.status == 200, reply.body
        return [s["id"] for s in reply.body["items"]]

    assert ids("tag=web") == ids("tag=edge") == [service["id"]]
    patched = api.patch(f"/services/{service['id']}", {"tags": ["edge", "ml"], "lifecycle": "production"},
                        token=developer.token)
    assert patched.status == 200, patched.body
    assert ids("tag=web") == [] and ids("tag=ml") == [service["id"]]
    assert ids("tag=edge&lifecycle=production") == [service["id"]] and ids("tag=edge&lifecycle=experimental") == []
    # An owner change alone rewrites every tag's item.
    assert api.patch(f"/services/{service['id']}", {"owner_id": other.id}, token=admin.token).status == 200
    assert ids(f"tag=ml&owner_id={other.id}") == [service["id"]]
    assert ids(f"tag=ml&owner_id={developer.id}") == []
    assert ids("lifecycle=production") == [service["id"]] and ids("lifecycle=experimental") == []
    assert api.delete(f"/services/{service['id']}", token=other.token).status == 204
    assert ids("tag=ml") == [] and ids("tag=edge") == [] and ids("lifecycle=production") == []


@pytest.mark.parametrize(("query", "field"), [
    ("lifecycle=retired", "lifecycle"), ("name=Not_A_Slug", "name"), ("tag=" + "x" * 65, "tag"),
    ("owner_id=nope", "owner_id"),
])
def test_bad_filters_are_400_naming_them(api, admin, query, field):
    reply = api.get(f"/services?{query}", token=admin.token)
    assert reply.status == 400, reply.body
    assert [e["field"] for e in reply.body["errors"]] == [field]


def test_a_cursor_belongs_to_its_filters(api, admin):
    for tags in (["web"], ["web"], ["web", "pci"], ["pci"]):
        api.post("/services", {"name": f"svc-{uuid.uuid4().hex[:8]}", "tags": tags}, token=admin.token)
    web_cursor = api.get("/services?tag=web&limit=1", token=admin.token).body["next_cursor"]
    assert web_cursor
    assert api.get(f"/services?tag=web&cursor={web_cursor}", token=admin.token).status == 200
    for other in ("tag=pci", "lifecycle=experimental", "tag=web&lifecycle=experimental", "name=abc"):
        reply = api.get(f"/services?{other}&cursor={web_cursor}", token=admin.token)
        assert reply.status == 400 and reply.body["errors"][0]["field"] == "cursor", other


def test_the_filters_are_documented(api):
    operation = api.get("/openapi.json").body["paths"]["/services"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"owner_id", "lifecycle", "tag", "name", "limit", "cursor"} <= set(parameters)
    assert "1000" in operation["description"]
