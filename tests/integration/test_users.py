"""User management: validation, roles, the last-admin rule, concurrency, audit."""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import count_aws_calls


def _new_user(**overrides):
    body = {"email": f"u-{uuid.uuid4().hex[:8]}@example.com", "name": "Someone", "password": "password-1234",
            "role": "developer"}
    body.update(overrides)
    return body


def _audit_count(api, admin, **filters) -> int:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return len(api.get(f"/audit?limit=100&{query}", token=admin.token).body["items"])


def test_admin_creates_reads_updates_and_deletes_a_user(api, admin):
    created = api.post("/users", _new_user(email="New.Person@Example.com"), token=admin.token)
    assert created.status == 201
    user = created.body
    assert user["email"] == "new.person@example.com"
    assert set(user) == {"id", "email", "name", "role", "disabled", "created_at", "updated_at", "version"}
    assert user["created_at"].endswith("Z") and user["version"] == 1
    assert api.get(f"/users/{user['id']}", token=admin.token).body == user

    patched = api.patch(f"/users/{user['id']}", {"role": "viewer", "version": 1}, token=admin.token)
    assert patched.status == 200 and patched.body["role"] == "viewer" and patched.body["version"] == 2
    stale = api.patch(f"/users/{user['id']}", {"name": "Late", "version": 1}, token=admin.token)
    assert stale.status == 409
    assert api.get(f"/users/{user['id']}", token=admin.token).body["name"] == "Someone"

    assert api.delete(f"/users/{user['id']}", token=admin.token).status == 204
    assert api.get(f"/users/{user['id']}", token=admin.token).status == 404
    # The email is free again.
    assert api.post("/users", _new_user(email="new.person@example.com"), token=admin.token).status == 201

    entries = api.get(f"/audit?resource_id={user['id']}", token=admin.token).body["items"]
    assert [e["action"] for e in entries] == ["user.delete", "user.update", "user.create"]
    update = entries[1]
    assert update["changes"] == {"role": {"from": "developer", "to": "viewer"}}
    assert entries[2]["changes"]["email"] == {"from": None, "to": "new.person@example.com"}
    assert entries[0]["changes"]["email"] == {"from": "new.person@example.com", "to": None}
    assert "password" not in json.dumps(entries)


@pytest.mark.parametrize("body,field", [
    ({"name": "X", "password": "password-1234", "role": "viewer"}, "email"),
    ({"email": "not-an-email", "name": "X", "password": "password-1234", "role": "viewer"}, "email"),
    ({"email": "a@b.co", "name": "X", "password": "short", "role": "viewer"}, "password"),
    ({"email": "a@b.co", "name": "X", "password": "x" * 129, "role": "viewer"}, "password"),
    ({"email": "a@b.co", "name": "X", "password": "password-1234", "role": "superuser"}, "role"),
    ({"email": "a@b.co", "name": 42, "password": "password-1234", "role": "viewer"}, "name"),
    ({"email": "a@b.co", "name": "", "password": "password-1234", "role": "viewer"}, "name"),
    ({"email": "a@b.co", "name": "X", "password": "password-1234", "role": "viewer", "admin": True}, "admin"),
])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, admin, body, field):
    before = _audit_count(api, admin, action="user.create")
    reply = api.post("/users", body, token=admin.token)
    assert reply.status == 400, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    assert field in [e["field"] for e in reply.body["errors"]]
    assert reply.body["request_id"]
    assert _audit_count(api, admin, action="user.create") == before
    assert len(api.get("/users", token=admin.token).body["items"]) == 1


def test_a_validator_s_own_message_is_the_field_message_without_pydantic_s_prefix(api, admin, developer):
    reply = api.post("/users", {"email": "not-an-email", "name": "X", "password": "password-1234", "role": "viewer"},
                     token=admin.token)
    assert reply.status == 400 and {"field": "email", "message": "not a valid email address"} in reply.body["errors"]
    reply = api.post("/services", {"name": "payments", "repository_url": "ftp://git.example.com/p"},
                     token=developer.token)
    assert reply.status == 400 and {"field": "repository_url", "message": "must be an http or https URL"} in \
        reply.body["errors"], reply.body
    assert "Value error" not in json.dumps(reply.body)


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe{}", b'{"email": "a", "email": "b"}',
                                 b"[" * 5000 + b"]" * 5000, b""])
def test_bodies_that_are_not_a_json_object_are_400(api, admin, raw):
    reply = api.request("POST", "/users", token=admin.token, raw=raw)
    assert reply.status == 400, (raw[:20], reply.body)
    assert reply.body["errors"]


def test_a_body_over_64_kib_is_413_before_authentication(api):
    reply = api.request("POST", "/users", raw=b'{"x": "' + b"a" * 70_000 + b'"}')
    assert reply.status == 413


def test_viewers_and_developers_get_403_on_users_but_may_read_themselves(api, admin, viewer, developer):
    for session in (viewer, developer):
        assert api.get("/users", token=session.token).status == 403
        assert api.post("/users", _new_user(), token=session.token).status == 403
        assert api.get(f"/users/{admin.id}", token=session.token).status == 403
        assert api.get(f"/users/{uuid.uuid4()}", token=session.token).status == 403  # exists or not
        assert api.patch(f"/users/{session.id}", {"role": "admin"}, token=session.token).status == 403
        assert api.delete(f"/users/{admin.id}", token=session.token).status == 403
        own = api.get(f"/users/{session.id}", token=session.token)
        assert own.status == 200 and own.body["id"] == session.id


def test_not_yourself_and_not_the_last_admin(api, admin):
    assert api.delete(f"/users/{admin.id}", token=admin.token).status == 409
    assert api.patch(f"/users/{admin.id}", {"role": "developer"}, token=admin.token).status == 409
    assert api.patch(f"/users/{admin.id}", {"disabled": True}, token=admin.token).status == 409
    assert api.get("/auth/me", token=admin.token).body["role"] == "admin"

    second = api.post("/users", _new_user(role="admin"), token=admin.token).body
    assert api.patch(f"/users/{admin.id}", {"role": "developer"}, token=admin.token).status == 200
    # The admin's token ended with the role change; the second admin is now the last one.
    assert api.get("/auth/me", token=admin.token).status == 401
    second_session = api.login(second["email"], "password-1234")
    assert api.patch(f"/users/{second['id']}", {"disabled": True}, token=second_session.token).status == 409
    assert api.delete(f"/users/{admin.id}", token=second_session.token).status == 204


def test_disabled_or_deleted_users_tokens_stop_working(api, admin, make_user):
    one = make_user("developer")
    two = make_user("viewer")
    assert api.get("/auth/me", token=one.token).status == 200
    assert api.patch(f"/users/{one.id}", {"disabled": True}, token=admin.token).status == 200
    assert api.get("/auth/me", token=one.token).status == 401
    assert api.delete(f"/users/{two.id}", token=admin.token).status == 204
    assert api.get("/auth/me", token=two.token).status == 401


def test_unknown_and_malformed_ids_are_404(api, admin):
    assert api.get(f"/users/{uuid.uuid4()}", token=admin.token).status == 404
    assert api.get("/users/not-a-uuid", token=admin.token).status == 404
    assert api.patch("/users/not-a-uuid", {"name": "x"}, token=admin.token).status == 404
    assert api.delete(f"/users/{uuid.uuid4()}", token=admin.token).status == 404


def test_twenty_concurrent_creates_with_one_email_make_one_user(api, admin):
    emails = [("race@example.com" if i % 2 else "RACE@Example.COM") for i in range(20)]
    creates_before = _audit_count(api, admin, action="user.create")

    def create(email):
        return api.post("/users", _new_user(email=email), token=admin.token).status

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(create, emails))
    assert statuses.count(201) == 1 and statuses.count(409) == 19
    listed = [u for u in api.get("/users?limit=100", token=admin.token).body["items"] if u["email"] == "race@example.com"]
    assert len(listed) == 1
    assert _audit_count(api, admin, action="user.create") == creates_before + 1


def test_list_pages_are_one_query_each_and_never_scan(api, admin):
    for _ in range(5):
        api.post("/users", _new_user(), token=admin.token)
    seen, cursor = [], None
    while True:
        with count_aws_calls() as calls:
            reply = api.get("/users?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=admin.token)
        assert reply.status == 200
        assert calls.scans == 0 and calls.count("dynamodb", "Query") == 1
        seen += [u["id"] for u in reply.body["items"]]
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "cursor=forged", "limit=5&limit=6"])
def test_bad_list_parameters_are_400(api, admin, query):
    reply = api.get(f"/users?{query}", token=admin.token)
    assert reply.status == 400


def test_a_cursor_from_another_list_is_400(api, admin):
    for _ in range(3):
        api.post("/users", _new_user(), token=admin.token)
    audit_cursor = api.get("/audit?limit=1", token=admin.token).body["next_cursor"]
    assert audit_cursor
    assert api.get(f"/users?cursor={audit_cursor}", token=admin.token).status == 400
    users_cursor = api.get("/users?limit=1", token=admin.token).body["next_cursor"]
    tampered = users_cursor[:-2] + ("A" if users_cursor[-2] != "A" else "B") + users_cursor[-1]
    assert api.get(f"/users?cursor={tampered}", token=admin.token).status == 400
