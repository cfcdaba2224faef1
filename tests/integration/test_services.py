"""The service catalog: fields and defaults, ownership, unique names under races, optimistic
concurrency, the active-deployment delete rule, audit, paging."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from chalicelib.core import clock
from chalicelib.storage import services as services_store
from chalicelib.storage.services import ServiceRecord
from tests.support import count_aws_calls

SERVICE_FIELDS = {"id", "name", "description", "repository_url", "owner_id", "lifecycle", "tier", "tags", "health",
                  "active_deployment_id", "last_deployment", "environments", "created_at", "updated_at", "version"}


def _name() -> str:
    return f"svc-{uuid.uuid4().hex[:10]}"


def _create(api, session, **fields):
    body = {"name": _name(), **fields}
    reply = api.post("/services", body, token=session.token)
    assert reply.status == 201, reply.body
    return reply.body


def _audit(api, admin, service_id):
    return api.get(f"/audit?resource_id={service_id}&limit=100", token=admin.token).body["items"]


def _set_slots(service_id, slots: dict, **extra):
    """What the deployment engine's state machine does: plain UpdateItems on the service."""
    actions = [ServiceRecord.active_slots.set(slots)]
    actions += [getattr(ServiceRecord, name).set(value) for name, value in extra.items()]
    ServiceRecord(service_id).update(actions=actions)


def test_create_read_update_delete_with_defaults_and_audit(api, admin, developer):
    created = api.post("/services", {"name": "payments-api"}, token=developer.token)
    assert created.status == 201, created.body
    service = created.body
    assert set(service) == SERVICE_FIELDS
    assert created.header("Location") == f"/services/{service['id']}"
    assert service["name"] == "payments-api" and service["owner_id"] == developer.id
    assert (service["description"], service["tags"], service["lifecycle"]) == ("", [], "experimental")
    assert (service["tier"], service["repository_url"], service["health"]) == (None, None, "unknown")
    assert (service["active_deployment_id"], service["last_deployment"], service["version"]) == (None, None, 1)
    assert service["environments"] == {env: {"active_deployment_id": None, "last_deployment": None, "health": "unknown"}
                                       for env in ("development", "staging", "production")}
    assert service["created_at"] == service["updated_at"] and service["created_at"].endswith("Z")
    uuid.UUID(service["id"])
    assert api.get(f"/services/{service['id']}", token=developer.token).body == service

    patch = {"name": "payments", "description": "Takes money", "repository_url": "https://git.example.com/pay",
             "lifecycle": "production", "tier": 1, "tags": ["team-pay", "pci"], "version": 1}
    updated = api.patch(f"/services/{service['id']}", patch, token=developer.token)
    assert updated.status == 200, updated.body
    expected = {**service, **{k: v for k, v in patch.items() if k != "version"}, "version": 2,
                "updated_at": updated.body["updated_at"]}
    assert updated.body == expected
    assert api.get(f"/services/{service['id']}", token=developer.token).body == expected

    # Clearing the nullable fields.
    cleared = api.patch(f"/services/{service['id']}", {"repository_url": None, "tier": None}, token=developer.token)
    assert cleared.status == 200
    assert (cleared.body["repository_url"], cleared.body["tier"], cleared.body["version"]) == (None, None, 3)

    assert api.delete(f"/services/{service['id']}", token=developer.token).status == 204
    assert api.get(f"/services/{service['id']}", token=developer.token).status == 404
    assert api.delete(f"/services/{service['id']}", token=developer.token).status == 404

    entries = _audit(api, admin, service["id"])
    assert [e["action"] for e in entries] == ["service.delete", "service.update", "service.update", "service.create"]
    assert all(e["resource_type"] == "service" and e["actor_id"] == developer.id for e in entries)
    assert entries[3]["changes"]["name"] == {"from": None, "to": "payments-api"}
    assert entries[3]["changes"]["owner_id"] == {"from": None, "to": developer.id}
    assert entries[2]["changes"] == {
        "name": {"from": "payments-api", "to": "payments"},
        "description": {"from": "", "to": "Takes money"},
        "repository_url": {"from": None, "to": "https://git.example.com/pay"},
        "lifecycle": {"from": "experimental", "to": "production"},
        "tier": {"from": None, "to": 1},
        "tags": {"from": [], "to": ["team-pay", "pci"]},
    }
    assert entries[1]["changes"] == {"repository_url": {"from": "https://git.example.com/pay", "to": None},
                                     "tier": {"from": 1, "to": None}}
    assert entries[0]["changes"]["name"] == {"from": "payments", "to": None}


def test_a_patch_that_changes_nothing_writes_nothing(api, admin, developer):
    service = _create(api, developer, tags=["a"])
    same = api.patch(f"/services/{service['id']}", {"name": service["name"], "tags": ["a"]}, token=developer.token)
    assert same.status == 200 and same.body == service
    assert [e["action"] for e in _audit(api, admin, service["id"])] == ["service.create"]


# --- who may do what ------------------------------------------------------------------------------

@pytest.fixture
def actors(api, admin, viewer, make_user):
    owner = make_user("developer")
    other = make_user("developer")
    return {"anonymous": None, "viewer": viewer, "other developer": other, "owner": owner, "admin": admin}


EXPECTED = {"anonymous": 401, "viewer": 403, "other developer": 403}


@pytest.mark.parametrize("who", ["anonymous", "viewer", "other developer", "owner", "admin"])
def test_ownership_matrix_for_update_and_delete(api, admin, actors, who):
    owner = actors["owner"]
    service = _create(api, owner)
    session = actors[who]
    token = session.token if session else None

    patched = api.patch(f"/services/{service['id']}", {"description": "changed"}, token=token)
    assert patched.status == EXPECTED.get(who, 200), patched.body
    deleted = api.delete(f"/services/{service['id']}", token=token)
    assert deleted.status == EXPECTED.get(who, 204), deleted.body

    now = api.get(f"/services/{service['id']}", token=admin.token)
    actions = [e["action"] for e in _audit(api, admin, service["id"])]
    if who in EXPECTED:  # refused: nothing changed, nothing audited
        assert now.status == 200 and now.body == service
        assert actions == ["service.create"]
    else:
        assert now.status == 404
        assert actions == ["service.delete", "service.update", "service.create"]


@pytest.mark.parametrize("who", ["anonymous", "viewer", "other developer", "owner", "admin"])
def test_ownership_matrix_for_create(api, admin, actors, who):
    """Creating for ``owner``: the owner themselves and an admin may; nobody else."""
    owner = actors["owner"]
    session = actors[who]
    reply = api.post("/services", {"name": "for-owner", "owner_id": owner.id}, token=session.token if session else None)
    assert reply.status == EXPECTED.get(who, 201), reply.body
    listed = api.get(f"/services?owner_id={owner.id}", token=admin.token).body["items"]
    if who in EXPECTED:
        assert listed == []
    else:
        assert [s["name"] for s in listed] == ["for-owner"] and listed[0]["owner_id"] == owner.id
        assert _audit(api, admin, reply.body["id"])[0]["actor_id"] == session.id


def test_reads_are_open_to_every_role_but_not_to_anonymous(api, actors):
    service = _create(api, actors["owner"])
    for who, session in actors.items():
        token = session.token if session else None
        expected = 401 if session is None else 200
        assert api.get("/services", token=token).status == expected, who
        assert api.get(f"/services/{service['id']}", token=token).status == expected, who
        assert api.get(f"/services/{service['id']}/logs", token=token).status == expected, who


def test_creating_for_yourself_is_always_allowed_and_the_default(api, developer):
    explicit = api.post("/services", {"name": "mine", "owner_id": developer.id}, token=developer.token)
    assert explicit.status == 201 and explicit.body["owner_id"] == developer.id


def test_admin_sets_and_changes_owners_which_must_exist(api, admin, make_user):
    alice, bob = make_user("developer"), make_user("developer")
    missing = str(uuid.uuid4())

    unknown = api.post("/services", {"name": "orphan", "owner_id": missing}, token=admin.token)
    assert unknown.status == 400 and [e["field"] for e in unknown.body["errors"]] == ["owner_id"]
    assert api.get("/services", token=admin.token).body["items"] == []

    service = api.post("/services", {"name": "shared", "owner_id": alice.id}, token=admin.token).body
    assert service["owner_id"] == alice.id

    # A developer (even the owner) may not give the service away.
    assert api.patch(f"/services/{service['id']}", {"owner_id": bob.id}, token=alice.token).status == 403
    # Naming yourself changes nothing and is allowed.
    assert api.patch(f"/services/{service['id']}", {"owner_id": alice.id}, token=alice.token).status == 200

    bad = api.patch(f"/services/{service['id']}", {"owner_id": missing}, token=admin.token)
    assert bad.status == 400 and [e["field"] for e in bad.body["errors"]] == ["owner_id"]

    moved = api.patch(f"/services/{service['id']}", {"owner_id": bob.id}, token=admin.token)
    assert moved.status == 200 and moved.body["owner_id"] == bob.id
    assert _audit(api, admin, service["id"])[0]["changes"] == {"owner_id": {"from": alice.id, "to": bob.id}}
    # Ownership moved with it: the old owner is now "someone else", the new one may edit.
    assert api.patch(f"/services/{service['id']}", {"description": "x"}, token=alice.token).status == 403
    assert api.patch(f"/services/{service['id']}", {"description": "x"}, token=bob.token).status == 200
    assert [s["id"] for s in api.get(f"/services?owner_id={bob.id}", token=alice.token).body["items"]] == [service["id"]]
    assert api.get(f"/services?owner_id={alice.id}", token=alice.token).body["items"] == []


# --- validation -------------------------------------------------------------------------------------

BAD_CREATES = [
    ({}, "name"),
    ({"name": "A-upper"}, "name"),
    ({"name": "1starts-with-digit"}, "name"),
    ({"name": "x"}, "name"),
    ({"name": "a" * 64}, "name"),
    ({"name": "under_score"}, "name"),
    ({"name": "trailing-newline\n"}, "name"),
    ({"name": 42}, "name"),
    ({"name": "ok-name", "lifecycle": "retired"}, "lifecycle"),
    ({"name": "ok-name", "repository_url": "ftp://example.com/repo"}, "repository_url"),
    ({"name": "ok-name", "repository_url": "not a url"}, "repository_url"),
    ({"name": "ok-name", "repository_url": "https://"}, "repository_url"),
    ({"name": "ok-name", "repository_url": "javascript:alert(1)"}, "repository_url"),
    ({"name": "ok-name", "tier": 0}, "tier"),
    ({"name": "ok-name", "tier": 5}, "tier"),
    ({"name": "ok-name", "tier": "2"}, "tier"),
    ({"name": "ok-name", "tier": True}, "tier"),
    ({"name": "ok-name", "tags": "backend"}, "tags"),
    ({"name": "ok-name", "tags": [f"t{i}" for i in range(21)]}, "tags"),
    ({"name": "ok-name", "tags": [""]}, "tags"),
    ({"name": "ok-name", "tags": ["x" * 65]}, "tags"),
    ({"name": "ok-name", "tags": [1, 2]}, "tags"),
    ({"name": "ok-name", "tags": None}, "tags"),
    ({"name": "ok-name", "description": None}, "description"),
    ({"name": "ok-name", "description": "d" * 2001}, "description"),
    ({"name": "ok-name", "health": "healthy"}, "health"),
]


def test_bad_create_input_is_400_naming_the_field_and_writes_nothing(api, admin):
    # One test walks all cases (each a separate test would cost a fresh setup apiece).
    for body, field in BAD_CREATES:
        reply = api.post("/services", body, token=admin.token)
        assert reply.status == 400, (body, reply.body)
        assert reply.header("Content-Type") == "application/problem+json"
        assert field in [e["field"] for e in reply.body["errors"]], (body, reply.body)
    assert api.get("/services", token=admin.token).body["items"] == []
    assert api.get("/audit?action=service.create", token=admin.token).body["items"] == []


def test_the_boundaries_of_valid_input_are_accepted(api, developer):
    service = _create(api, developer, name="a" + "b" * 62, tier=4, tags=["t" * 64] * 20,
                      repository_url="http://git.example.com:8080/a/b.git", lifecycle="deprecated")
    assert service["tier"] == 4 and len(service["tags"]) == 20 and service["lifecycle"] == "deprecated"
    assert _create(api, developer, name="ab", tier=1)["tier"] == 1


BAD_PATCHES = [
    ({"name": "Bad Name"}, "name"),
    ({"name": None}, "name"),
    ({"lifecycle": None}, "lifecycle"),
    ({"lifecycle": "gone"}, "lifecycle"),
    ({"tier": 9}, "tier"),
    ({"tags": ["ok", ""]}, "tags"),
    ({"repository_url": "ssh://git@example.com/x"}, "repository_url"),
    ({"owner_id": None}, "owner_id"),
    ({"version": "1"}, "version"),
    ({"id": "x"}, "id"),
]


def test_bad_patch_input_is_400_naming_the_field_and_changes_nothing(api, admin, developer):
    service = _create(api, developer)
    for body, field in BAD_PATCHES:
        reply = api.patch(f"/services/{service['id']}", body, token=developer.token)
        assert reply.status == 400, (body, reply.body)
        assert field in [e["field"] for e in reply.body["errors"]], (body, reply.body)
    assert api.get(f"/services/{service['id']}", token=developer.token).body == service
    assert [e["action"] for e in _audit(api, admin, service["id"])] == ["service.create"]


def test_unknown_and_malformed_ids_are_404(api, admin):
    for path in (f"/services/{uuid.uuid4()}", "/services/not-a-uuid", f"/services/{str(uuid.uuid4()).upper()}x"):
        assert api.get(path, token=admin.token).status == 404
        assert api.patch(path, {"description": "x"}, token=admin.token).status == 404
        assert api.delete(path, token=admin.token).status == 404


# --- names and concurrency ---------------------------------------------------------------------------

def test_twenty_concurrent_creates_with_one_name_make_one_service(api, admin):
    def create(_):
        return api.post("/services", {"name": "contested"}, token=admin.token).status

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(create, range(20)))
    assert statuses.count(201) == 1 and statuses.count(409) == 19, statuses
    assert [s["name"] for s in api.get("/services", token=admin.token).body["items"]] == ["contested"]
    assert len(api.get("/audit?action=service.create", token=admin.token).body["items"]) == 1


def test_a_rename_keeps_names_unique_and_frees_the_old_one(api, admin, developer):
    first = _create(api, developer, name="first")
    second = _create(api, developer, name="second")
    clash = api.patch(f"/services/{second['id']}", {"name": "first"}, token=developer.token)
    assert clash.status == 409
    assert api.get(f"/services/{second['id']}", token=developer.token).body == second

    renamed = api.patch(f"/services/{first['id']}", {"name": "renamed"}, token=developer.token)
    assert renamed.status == 200 and renamed.body["name"] == "renamed"
    assert api.post("/services", {"name": "renamed"}, token=developer.token).status == 409
    assert api.post("/services", {"name": "first"}, token=developer.token).status == 201  # freed
    assert services_store.get_by_name("renamed").id == first["id"]


def test_concurrent_renames_to_one_name_let_exactly_one_win(api, admin, developer):
    ids = [_create(api, developer)["id"] for _ in range(6)]

    def rename(service_id):
        return api.patch(f"/services/{service_id}", {"name": "the-one"}, token=developer.token).status

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(rename, ids))
    assert statuses.count(200) == 1 and statuses.count(409) == 5
    names = [s["name"] for s in api.get("/services", token=developer.token).body["items"]]
    assert names.count("the-one") == 1


def test_a_stale_version_is_409_and_changes_nothing(api, admin, developer):
    service = _create(api, developer)
    assert api.patch(f"/services/{service['id']}", {"tier": 2, "version": 1}, token=developer.token).status == 200
    current = api.get(f"/services/{service['id']}", token=developer.token).body
    stale = api.patch(f"/services/{service['id']}", {"name": "late-rename", "tier": 3, "version": 1},
                      token=developer.token)
    assert stale.status == 409
    assert api.get(f"/services/{service['id']}", token=developer.token).body == current
    assert api.post("/services", {"name": "late-rename"}, token=developer.token).status == 201  # no guard left behind
    assert [e["action"] for e in _audit(api, admin, service["id"])] == ["service.update", "service.create"]


def test_concurrent_patches_with_one_version_let_exactly_one_win(api, admin, developer):
    service = _create(api, developer)

    def patch(i):
        return api.patch(f"/services/{service['id']}", {"description": f"writer {i}", "version": 1},
                         token=developer.token).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(patch, range(8)))
    assert statuses.count(200) == 1 and statuses.count(409) == 7
    final = api.get(f"/services/{service['id']}", token=developer.token).body
    assert final["version"] == 2
    updates = [e for e in _audit(api, admin, service["id"]) if e["action"] == "service.update"]
    assert len(updates) == 1 and updates[0]["changes"]["description"]["to"] == final["description"]


# --- the deployment engine's fields ----------------------------------------------------------------

def test_active_deployment_and_last_deployment_come_from_the_engines_fields(api, developer):
    service = _create(api, developer)
    path = f"/services/{service['id']}"
    dev_id, staging_id, prod_id = (str(uuid.uuid4()) for _ in range(3))
    _set_slots(service["id"], {"development": dev_id})
    assert api.get(path, token=developer.token).body["active_deployment_id"] == dev_id
    _set_slots(service["id"], {"development": dev_id, "staging": staging_id})
    assert api.get(path, token=developer.token).body["active_deployment_id"] == staging_id
    last = {"id": prod_id, "status": "SUCCESS", "version": "v1.2.3", "environment": "production",
            "finished_at": "2026-01-01T00:00:00.000Z"}
    _set_slots(service["id"], {"development": dev_id, "staging": staging_id, "production": prod_id},
               health="healthy", last_deployment=last)
    body = api.get(path, token=developer.token).body
    assert body["active_deployment_id"] == prod_id
    assert body["health"] == "healthy" and body["last_deployment"] == last

    # A catalog update leaves the engine's fields alone.
    patched = api.patch(path, {"description": "still deploying"}, token=developer.token).body
    assert (patched["health"], patched["last_deployment"], patched["active_deployment_id"]) == ("healthy", last, prod_id)
    record = services_store.get(service["id"])
    assert record.active_slots.as_dict() == {"development": dev_id, "staging": staging_id, "production": prod_id}

    _set_slots(service["id"], {})
    assert api.get(path, token=developer.token).body["active_deployment_id"] is None


def test_a_service_with_an_active_deployment_cannot_be_deleted(api, admin, developer):
    service = _create(api, developer, name="busy")
    _set_slots(service["id"], {"staging": str(uuid.uuid4())})
    for session in (developer, admin):
        reply = api.delete(f"/services/{service['id']}", token=session.token)
        assert reply.status == 409 and "active deployment" in reply.body["detail"]
    assert api.get(f"/services/{service['id']}", token=developer.token).status == 200
    assert [e["action"] for e in _audit(api, admin, service["id"])] == ["service.create"]

    _set_slots(service["id"], {})  # the engine released the slot
    assert api.delete(f"/services/{service['id']}", token=developer.token).status == 204


def test_a_deployment_claimed_while_deleting_makes_the_delete_409(api, admin, developer, monkeypatch):
    """The slot check sits on the delete itself: a trigger landing between our read and our write
    still wins."""
    service = _create(api, developer, name="racing")
    original_get = services_store.get

    def get_then_trigger(service_id):
        record = original_get(service_id)
        if record is not None:
            _set_slots(service_id, {"production": str(uuid.uuid4())})
        return record

    monkeypatch.setattr(services_store, "get", get_then_trigger)
    reply = api.delete(f"/services/{service['id']}", token=developer.token)
    monkeypatch.setattr(services_store, "get", original_get)
    assert reply.status == 409
    assert api.get(f"/services/{service['id']}", token=developer.token).status == 200
    assert api.post("/services", {"name": "racing"}, token=developer.token).status == 409  # name still taken
    assert [e["action"] for e in _audit(api, admin, service["id"])] == ["service.create"]


def test_a_deleted_service_frees_its_name_and_keeps_its_history(api, admin, developer):
    service = _create(api, developer, name="short-lived")
    assert api.delete(f"/services/{service['id']}", token=developer.token).status == 204
    assert api.get(f"/services/{service['id']}", token=developer.token).status == 404
    assert api.get("/services", token=developer.token).body["items"] == []
    # History stays readable: the audit trail and the (empty) log list.
    assert [e["action"] for e in _audit(api, admin, service["id"])] == ["service.delete", "service.create"]
    assert api.get(f"/services/{service['id']}/logs", token=developer.token).status == 200
    again = api.post("/services", {"name": "short-lived"}, token=developer.token)
    assert again.status == 201 and again.body["id"] != service["id"]


# --- lists -----------------------------------------------------------------------------------------

def _seed(count: int, owner_id: str) -> list[str]:
    """Write services straight to storage (BatchWriteItem), a few sharing a timestamp so the id
    has to break ties. The API then lists them."""
    start = clock.now()
    ids = []
    with ServiceRecord.batch_write() as batch:
        for i in range(count):
            service_id = clock.new_id()
            created = clock.iso(start + timedelta(milliseconds=i // 3))
            batch.save(ServiceRecord(service_id, name=f"bulk-{i:03d}", owner_id=owner_id, created_at=created,
                                     updated_at=created, sort_key=clock.sort_key(created, service_id)))
            ids.append(service_id)
    return ids


def test_paging_through_250_services_returns_each_once_in_a_stable_order(api, admin):
    created = _seed(250, admin.id)
    seen, cursor, pages = [], None, 0
    while True:
        with count_aws_calls() as calls:
            reply = api.get("/services?limit=7" + (f"&cursor={cursor}" if cursor else ""), token=admin.token)
        assert reply.status == 200, reply.body
        assert calls.scans == 0 and calls.count("dynamodb", "Query") == 1, calls.calls
        assert len(reply.body["items"]) == (7 if pages < 35 else 5)
        seen += [(s["created_at"], s["id"]) for s in reply.body["items"]]
        pages += 1
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break
    assert pages == 36  # 35 full pages and one of 5
    assert len(seen) == len(set(seen)) == 250 and {i for _, i in seen} == set(created)
    # Newest first, equal times ordered by id: a total order, so every walk sees the same sequence.
    assert seen == sorted(seen, reverse=True)
    assert len({t for t, _ in seen}) < 250  # ties really were there


def test_the_owner_filter_pages_with_one_query_each(api, admin, make_user):
    alice, bob = make_user("developer"), make_user("developer")
    mine = [_create(api, alice)["id"] for _ in range(5)]
    _create(api, bob)
    seen, cursor = [], None
    while True:
        with count_aws_calls() as calls:
            reply = api.get(f"/services?owner_id={alice.id}&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                            token=bob.token)
        assert calls.scans == 0 and calls.count("dynamodb", "Query") == 1
        seen += [s["id"] for s in reply.body["items"]]
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(mine))


def test_bad_list_parameters_are_400_naming_the_parameter(api, admin):
    for query, field in [("limit=0", "limit"), ("limit=101", "limit"), ("limit=abc", "limit"),
                         ("cursor=forged", "cursor"), ("cursor=a.b", "cursor"), ("owner_id=not-a-uuid", "owner_id"),
                         ("colour=blue", "colour"), ("limit=5&limit=6", "limit")]:
        reply = api.get(f"/services?{query}", token=admin.token)
        assert reply.status == 400, query
        assert field in [e["field"] for e in reply.body["errors"]], (query, reply.body)


def test_a_cursor_from_another_list_or_filter_is_400(api, admin):
    for _ in range(3):
        _create(api, admin)
    services_cursor = api.get("/services?limit=1", token=admin.token).body["next_cursor"]
    owner_cursor = api.get(f"/services?limit=1&owner_id={admin.id}", token=admin.token).body["next_cursor"]
    users_cursor_source = api.get("/audit?limit=1", token=admin.token).body["next_cursor"]
    assert services_cursor and owner_cursor and users_cursor_source
    assert api.get(f"/services?cursor={owner_cursor}", token=admin.token).status == 400
    assert api.get(f"/services?owner_id={admin.id}&cursor={services_cursor}", token=admin.token).status == 400
    assert api.get(f"/services?cursor={users_cursor_source}", token=admin.token).status == 400
    assert api.get(f"/services?cursor={services_cursor}", token=admin.token).status == 200


def test_the_openapi_document_describes_the_service_routes(api):
    paths = api.get("/openapi.json").body["paths"]
    assert set(paths["/services"]) == {"get", "post"}
    assert set(paths["/services/{service_id}"]) == {"get", "patch", "delete"}
    assert "get" in paths["/services/{service_id}/logs"]
    assert paths["/services"]["post"]["x-minimum-role"] == "developer"
    assert "409" in paths["/services/{service_id}"]["delete"]["responses"]
