"""SDK keys: admin-only management, shown once, stored as a hash, evaluation-only, one environment,
revocation."""
from __future__ import annotations

import json

import pytest

from chalicelib.core.security import hash_sdk_key
from tests.conftest import overridden_settings
from tests.integration.test_flags import audit_entries, create


def new_key(api, admin, environment="staging", name="web shop"):
    reply = api.post("/sdk-keys", {"name": name, "environment": environment}, token=admin.token)
    assert reply.status == 201, reply.body
    return reply.body


def test_admin_creates_a_key_shown_once_and_stored_as_a_hash(api, admin):
    created = new_key(api, admin)
    assert {"id", "name", "environment", "key", "created_at"} <= set(created)
    assert created["key"].startswith("idp_sk_") and len(created["key"]) > 40
    assert (created["name"], created["environment"]) == ("web shop", "staging")

    listed = api.get("/sdk-keys", token=admin.token)
    assert listed.status == 200
    [item] = listed.body["items"]
    assert item["id"] == created["id"] and item["environment"] == "staging"
    text = json.dumps(listed.body)
    assert created["key"] not in text and hash_sdk_key(created["key"]) not in text and "key_hash" not in text
    assert "key" not in item

    [entry] = audit_entries(api, admin, action="sdk_key.create")
    assert entry["resource_type"] == "sdk_key" and entry["resource_id"] == created["id"]
    assert entry["changes"]["environment"] == {"from": None, "to": "staging"}
    assert created["key"] not in json.dumps(entry) and hash_sdk_key(created["key"]) not in json.dumps(entry)


def test_only_admins_manage_keys_and_bad_input_is_400(api, admin, developer, viewer):
    for session in (developer, viewer):
        assert api.post("/sdk-keys", {"name": "x", "environment": "staging"}, token=session.token).status == 403
        assert api.get("/sdk-keys", token=session.token).status == 403
    created = new_key(api, admin)
    assert api.delete(f"/sdk-keys/{created['id']}", token=developer.token).status == 403
    for body, field in [({"name": "x", "environment": "qa"}, "environment"), ({"environment": "staging"}, "name"),
                        ({"name": "", "environment": "staging"}, "name"),
                        ({"name": "x", "environment": "staging", "key": "idp_sk_mine"}, "key")]:
        reply = api.post("/sdk-keys", body, token=admin.token)
        assert reply.status == 400 and reply.body["errors"][0]["field"] == field, (body, reply.body)


def test_a_key_evaluates_in_its_own_environment_and_does_nothing_else(api, admin, developer):
    create(api, developer, "staging-only", enabled=True, environments=["staging"])
    key = new_key(api, admin, environment="staging")["key"]

    own = api.get("/flags/staging-only/evaluate?user_id=u-1", token=key)
    assert own.status == 200 and own.body["enabled"] is True
    named = api.get("/flags/staging-only/evaluate?environment=staging&user_id=u-1", token=key)
    assert named.status == 200 and named.body == own.body
    other = api.get("/flags/staging-only/evaluate?environment=production&user_id=u-1", token=key)
    assert other.status == 403 and other.header("Content-Type") == "application/problem+json"

    bulk = api.post("/flags/evaluate", {"user_id": "u-1"}, token=key)
    assert bulk.status == 200 and bulk.body["flags"]["staging-only"]["enabled"] is True
    assert api.post("/flags/evaluate", {"user_id": "u-1", "environment": "development"}, token=key).status == 403

    ofrep = api.post("/ofrep/v1/evaluate/flags/staging-only", {"context": {"targetingKey": "u-1"}}, token=key)
    assert ofrep.status == 200 and ofrep.body["reason"] == "TARGETING_MATCH"
    assert api.post("/ofrep/v1/evaluate/flags/staging-only", {}, token=key).status == 200  # no context at all
    assert api.post("/ofrep/v1/evaluate/flags/staging-only", raw=b"", token=key).status == 200  # no body at all
    for path in ("/ofrep/v1/evaluate/flags/staging-only", "/ofrep/v1/evaluate/flags"):
        wrong = api.post(path, {"context": {"environment": "production"}}, token=key)
        assert wrong.status == 403 and wrong.header("Content-Type") == "application/problem+json"
    assert api.post("/ofrep/v1/evaluate/flags", {"context": {"environment": "staging"}}, token=key).status == 200

    for method, path, body in [("GET", "/flags", None), ("POST", "/flags", {"key": "by-sdk"}),
                               ("GET", "/flags/staging-only", None), ("PATCH", "/flags/staging-only", {"enabled": False}),
                               ("DELETE", "/flags/staging-only", None), ("GET", "/users", None),
                               ("GET", "/auth/me", None), ("GET", "/audit", None), ("GET", "/sdk-keys", None),
                               ("POST", "/sdk-keys", {"name": "x", "environment": "production"})]:
        reply = api.request(method, path, body, token=key)
        assert reply.status == 403, (method, path, reply.status)
    assert api.get("/flags/staging-only", token=admin.token).body["enabled"] is True


@pytest.mark.parametrize("cache_seconds", ["0", "60"])
def test_a_revoked_key_stops_working_and_leaves_the_list(api, admin, developer, cache_seconds):
    create(api, developer, "on", enabled=True)
    keep = new_key(api, admin, name="keep")
    revoke = new_key(api, admin, name="revoke")
    with overridden_settings(IDP_AUTH_CACHE_SECONDS=cache_seconds):
        path = "/flags/on/evaluate?user_id=u"
        assert api.get(path, token=revoke["key"]).status == 200  # cached when the cache is on
        assert api.delete(f"/sdk-keys/{revoke['id']}", token=admin.token).status == 204
        refused = api.get(path, token=revoke["key"])
        assert refused.status == 401 and refused.header("Content-Type") == "application/problem+json"
        assert api.post("/ofrep/v1/evaluate/flags/on", {}, token=revoke["key"]).status == 401
        assert api.get(path, token=keep["key"]).status == 200
    assert [item["id"] for item in api.get("/sdk-keys", token=admin.token).body["items"]] == [keep["id"]]
    [entry] = audit_entries(api, admin, action="sdk_key.delete")
    assert entry["resource_id"] == revoke["id"] and entry["changes"]["name"] == {"from": "revoke", "to": None}
    assert api.delete(f"/sdk-keys/{revoke['id']}", token=admin.token).status == 404
    assert api.delete("/sdk-keys/not-a-uuid", token=admin.token).status == 404
