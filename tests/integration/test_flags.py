"""/flags: management (roles, validation, optimistic versions, audit) and native evaluation,
including the per-instance cache."""
from __future__ import annotations

import dataclasses

from chalicelib.domain import flags as flags_domain
from chalicelib.storage.flags import FlagRecord
from tests.conftest import overridden_settings
from tests.support import count_aws_calls


def create(api, session, key, **fields):
    reply = api.post("/flags", {"key": key, **fields}, token=session.token)
    assert reply.status == 201, reply.body
    return reply.body


def audit_entries(api, admin, **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    reply = api.get(f"/audit?limit=100&{query}", token=admin.token)
    assert reply.status == 200, reply.body
    return reply.body["items"]


def test_create_applies_the_defaults_and_is_audited(api, admin, developer):
    reply = api.post("/flags", {"key": "new-checkout"}, token=developer.token)
    assert reply.status == 201, reply.body
    assert reply.header("Location") == "/flags/new-checkout"
    flag = reply.body
    assert flag["key"] == "new-checkout"
    assert (flag["enabled"], flag["environments"], flag["rollout_percentage"], flag["description"]) == (False, [], 100, "")
    assert flag["created_by"] == developer.id and flag["version"] == 1
    assert flag["created_at"].endswith("Z") and flag["updated_at"] == flag["created_at"]
    assert api.get("/flags/new-checkout", token=developer.token).body == flag

    [entry] = audit_entries(api, admin, action="flag.create")
    assert entry["resource_type"] == "flag" and entry["resource_id"] == "new-checkout"
    assert entry["actor_id"] == developer.id
    assert entry["changes"]["rollout_percentage"] == {"from": None, "to": 100}
    assert entry["changes"]["environments"] == {"from": None, "to": []}

    again = api.post("/flags", {"key": "new-checkout", "enabled": True}, token=admin.token)
    assert again.status == 409
    assert len(audit_entries(api, admin, action="flag.create")) == 1


def test_environments_are_stored_once_in_platform_order_and_long_keys_fit(api, admin):
    flag = create(api, admin, "ordered", environments=["production", "development", "production"])
    assert flag["environments"] == ["development", "production"]
    key = "k" + "0123456789._-" * 9 + "x" * 10
    assert len(key) == 128
    assert create(api, admin, key)["key"] == key


def test_list_is_paged_newest_first(api, viewer, admin):
    for key in ("first", "second", "third"):
        create(api, admin, key)
    page = api.get("/flags?limit=2", token=viewer.token)
    assert page.status == 200
    assert [f["key"] for f in page.body["items"]] == ["third", "second"]
    rest = api.get(f"/flags?limit=2&cursor={page.body['next_cursor']}", token=viewer.token)
    assert [f["key"] for f in rest.body["items"]] == ["first"] and rest.body["next_cursor"] is None
    assert api.get("/audit?cursor=" + page.body["next_cursor"], token=viewer.token).status == 400  # another list's


INVALID_CREATES = [
    ({"key": "ok", "rollout_percentage": -1}, "rollout_percentage"),
    ({"key": "ok", "rollout_percentage": 101}, "rollout_percentage"),
    ({"key": "ok", "rollout_percentage": 12.5}, "rollout_percentage"),
    ({"key": "ok", "rollout_percentage": "50"}, "rollout_percentage"),
    ({"key": "ok", "rollout_percentage": True}, "rollout_percentage"),
    ({"key": "ok", "environments": ["qa"]}, "environments"),
    ({"key": "ok", "environments": "production"}, "environments"),
    ({"key": "ok", "enabled": "yes"}, "enabled"),
    ({"key": "Upper"}, "key"),
    ({"key": "1starts-with-digit"}, "key"),
    ({"key": "has space"}, "key"),
    ({"key": "a" * 129}, "key"),
    ({"key": ""}, "key"),
    ({"key": "ok\n"}, "key"),
    ({"key": "evaluate"}, "key"),
    ({"key": "ok", "owner": "me"}, "owner"),
    ({}, "key"),
]


def test_invalid_flags_are_refused_naming_the_field(api, admin):
    for body, field in INVALID_CREATES:
        reply = api.post("/flags", body, token=admin.token)
        assert reply.status == 400, (body, reply.body)
        assert reply.header("Content-Type") == "application/problem+json"
        assert any(error["field"].split(".")[0] == field for error in reply.body["errors"]), (body, reply.body)
    assert api.get("/flags", token=admin.token).body["items"] == []
    assert audit_entries(api, admin, action="flag.create") == []


def test_update_checks_the_version_and_audits_field_changes(api, admin, developer):
    create(api, developer, "search-v2", description="New search")
    reply = api.patch("/flags/search-v2", {"enabled": True, "rollout_percentage": 25, "environments": ["staging"],
                                           "version": 1}, token=developer.token)
    assert reply.status == 200, reply.body
    flag = reply.body
    assert (flag["enabled"], flag["rollout_percentage"], flag["environments"], flag["version"]) == (True, 25, ["staging"], 2)
    assert flag["description"] == "New search" and flag["updated_at"] >= flag["created_at"]

    [entry] = audit_entries(api, admin, action="flag.update")
    assert entry["resource_id"] == "search-v2"
    assert entry["changes"] == {"enabled": {"from": False, "to": True},
                                "rollout_percentage": {"from": 100, "to": 25},
                                "environments": {"from": [], "to": ["staging"]}}

    stale = api.patch("/flags/search-v2", {"enabled": False, "version": 1}, token=developer.token)
    assert stale.status == 409
    assert api.get("/flags/search-v2", token=developer.token).body == flag
    assert len(audit_entries(api, admin, action="flag.update")) == 1

    unchanged = api.patch("/flags/search-v2", {"enabled": True}, token=developer.token)
    assert unchanged.status == 200 and unchanged.body["version"] == 2  # nothing to write, nothing audited
    assert len(audit_entries(api, admin, action="flag.update")) == 1


def test_invalid_updates_are_refused_and_change_nothing(api, developer):
    flag = create(api, developer, "stable")
    for body, field in [({"rollout_percentage": 101}, "rollout_percentage"),
                        ({"rollout_percentage": 12.5}, "rollout_percentage"),
                        ({"rollout_percentage": "50"}, "rollout_percentage"),
                        ({"environments": ["qa"]}, "environments"),
                        ({"key": "renamed"}, "key"),
                        ({"version": "1"}, "version")]:
        reply = api.patch("/flags/stable", body, token=developer.token)
        assert reply.status == 400, (body, reply.body)
        assert any(error["field"].split(".")[0] == field for error in reply.body["errors"]), (body, reply.body)
    assert api.get("/flags/stable", token=developer.token).body == flag


def test_role_rules(api, admin, viewer, developer):
    assert api.post("/flags", {"key": "by-viewer"}, token=viewer.token).status == 403
    create(api, developer, "owned")
    assert api.get("/flags", token=viewer.token).status == 200
    assert api.get("/flags/owned", token=viewer.token).status == 200
    assert api.patch("/flags/owned", {"enabled": True}, token=viewer.token).status == 403
    assert api.delete("/flags/owned", token=viewer.token).status == 403
    assert api.delete("/flags/owned", token=developer.token).status == 403
    assert api.get("/flags/owned", token=viewer.token).body["version"] == 1

    assert api.delete("/flags/owned", token=admin.token).status == 204
    assert api.get("/flags/owned", token=admin.token).status == 404
    [entry] = audit_entries(api, admin, action="flag.delete")
    assert entry["resource_id"] == "owned" and entry["changes"]["enabled"] == {"from": False, "to": None}
    assert api.delete("/flags/owned", token=admin.token).status == 404
    # the key is free again
    create(api, developer, "owned")


def test_an_unknown_or_ill_formed_key_in_a_path_is_404(api, admin):
    for path in ["/flags/Not-A-Key", "/flags/%20x", "/flags/" + "a" * 200, "/flags/unknown"]:
        assert api.get(path, token=admin.token).status == 404, path
        assert api.patch(path, {"enabled": True}, token=admin.token).status == 404, path
        assert api.delete(path, token=admin.token).status == 404, path
        reply = api.get(f"{path}/evaluate?environment=production&user_id=u1", token=admin.token)
        assert reply.status == 404 and reply.header("Content-Type") == "application/problem+json"


def test_evaluate_one_flag_for_a_user(api, viewer, admin):
    create(api, admin, "prod-only", enabled=True, environments=["production"])
    reply = api.get("/flags/prod-only/evaluate?environment=production&user_id=u-1", token=viewer.token)
    assert reply.status == 200
    assert reply.body == {"key": "prod-only", "enabled": True, "reason": "ALL_CONDITIONS_MET",
                          "message": "All conditions met"}
    staging = api.get("/flags/prod-only/evaluate?environment=staging&user_id=u-1", token=viewer.token).body
    assert (staging["enabled"], staging["reason"]) == (False, "ENVIRONMENT_NOT_TARGETED")

    for query, field in [("user_id=u-1", "environment"), ("environment=production", "user_id"),
                         ("environment=qa&user_id=u-1", "environment"),
                         ("environment=production&user_id=", "user_id"),
                         ("environment=production&user_id=u&extra=1", "extra")]:
        bad = api.get(f"/flags/prod-only/evaluate?{query}", token=viewer.token)
        assert bad.status == 400, query
        assert [e["field"] for e in bad.body["errors"]] == [field], (query, bad.body)


def test_a_split_flag_gives_each_user_their_stable_bucket(api, viewer, admin):
    create(api, admin, "split", enabled=True, rollout_percentage=30)
    from chalicelib.domain.evaluation import bucket

    for i in range(20):
        user = f"user-{i}"
        body = api.get(f"/flags/split/evaluate?environment=staging&user_id={user}", token=viewer.token).body
        expected = bucket("split", user) < 30
        assert body["enabled"] is expected
        assert body["reason"] == ("ALL_CONDITIONS_MET" if expected else "OUTSIDE_ROLLOUT")


def test_bulk_evaluation_of_all_or_some_flags(api, viewer, admin):
    create(api, admin, "on", enabled=True)
    create(api, admin, "off")
    create(api, admin, "staging-only", enabled=True, environments=["staging"])
    every = api.post("/flags/evaluate", {"environment": "production", "user_id": "u-7"}, token=viewer.token)
    assert every.status == 200, every.body
    assert every.body == {
        "flags": {
            "off": {"enabled": False, "reason": "FLAG_DISABLED", "message": "Flag is disabled"},
            "on": {"enabled": True, "reason": "ALL_CONDITIONS_MET", "message": "All conditions met"},
            "staging-only": {"enabled": False, "reason": "ENVIRONMENT_NOT_TARGETED",
                             "message": "Environment not in rollout"},
        },
        "not_found": [],
    }
    some = api.post("/flags/evaluate", {"environment": "staging", "user_id": "u-7",
                                        "keys": ["staging-only", "missing", "Bad Key", "staging-only"]},
                    token=viewer.token)
    assert some.status == 200
    assert list(some.body["flags"]) == ["staging-only"] and some.body["flags"]["staging-only"]["enabled"] is True
    assert some.body["not_found"] == ["missing", "Bad Key"]

    for body, field in [({"user_id": "u"}, "environment"), ({"environment": "production"}, "user_id"),
                        ({"environment": "production", "user_id": "u", "keys": "on"}, "keys"),
                        ({"environment": "production", "user_id": 7}, "user_id")]:
        bad = api.post("/flags/evaluate", body, token=viewer.token)
        assert bad.status == 400 and bad.body["errors"][0]["field"].split(".")[0] == field, (body, bad.body)
    assert api.post("/flags/evaluate", raw=b"[1, 2]", token=viewer.token).status == 400


def test_a_warm_evaluation_makes_no_aws_call(api, viewer, admin):
    create(api, admin, "kill-switch", enabled=True)
    create(api, admin, "other", enabled=True, rollout_percentage=10)
    with overridden_settings(IDP_AUTH_CACHE_SECONDS="60"):  # cached like a warm instance
        path = "/flags/kill-switch/evaluate?environment=production&user_id=u-1"
        assert api.get(path, token=viewer.token).status == 200  # warms the credential cache
        with count_aws_calls() as calls:
            single = api.get(path, token=viewer.token)
            bulk = api.post("/flags/evaluate", {"environment": "production", "user_id": "u-1"}, token=viewer.token)
            unknown = api.get("/flags/nothing/evaluate?environment=production&user_id=u-1", token=viewer.token)
            ofrep = api.post("/ofrep/v1/evaluate/flags/other",
                             {"context": {"targetingKey": "u-1", "environment": "production"}}, token=viewer.token)
        assert (single.status, bulk.status, unknown.status, ofrep.status) == (200, 200, 404, 200)
        assert calls.calls == []


def test_a_write_through_this_instance_is_seen_at_once_and_others_within_the_ttl(api, viewer, developer, admin):
    create(api, developer, "kill-switch", enabled=True)
    path = "/flags/kill-switch/evaluate?environment=production&user_id=u-1"
    assert api.get(path, token=viewer.token).body["enabled"] is True  # cache warm
    api.patch("/flags/kill-switch", {"enabled": False}, token=developer.token)
    assert api.get(path, token=viewer.token).body["reason"] == "FLAG_DISABLED"

    # Another instance switches it back on: this instance keeps its snapshot until the TTL ends.
    FlagRecord.get("kill-switch").update(actions=[FlagRecord.enabled.set(True)])
    assert api.get(path, token=viewer.token).body["enabled"] is False
    snapshot = flags_domain.cache._snapshot
    flags_domain.cache._snapshot = dataclasses.replace(snapshot, expires=0.0)  # the TTL has passed
    assert api.get(path, token=viewer.token).body["enabled"] is True

    # a new flag and a deleted one, through this instance, are seen at once as well
    create(api, developer, "fresh", enabled=True)
    assert api.get("/flags/fresh/evaluate?environment=production&user_id=u", token=viewer.token).status == 200
    assert api.delete("/flags/fresh", token=admin.token).status == 204
    assert api.get("/flags/fresh/evaluate?environment=production&user_id=u", token=viewer.token).status == 404
