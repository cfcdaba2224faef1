"""/people: the directory any signed-in user reads ({id, name, email}); /users stays admin-only."""
from __future__ import annotations

import uuid

import pytest

from chalicelib.domain import users as users_domain
from chalicelib.domain.caller import Caller
from tests.support import count_aws_calls

SYSTEM = Caller(kind="system", email="tests", request_id="tests")


def _make_people(count: int) -> list[dict]:
    """``count`` users, created straight through the domain (oldest first)."""
    return [users_domain.create_user(SYSTEM, f"person-{i}-{uuid.uuid4().hex[:6]}@example.com", f"Person {i}",
                                     "password-1234", "viewer") for i in range(count)]


def _all_pages(api, token, query: str) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        path = f"/people?{query}" + (f"&cursor={cursor}" if cursor else "")
        reply = api.get(path, token=token)
        assert reply.status == 200, reply.body
        pages.append(reply.body["items"])
        cursor = reply.body["next_cursor"]
        if cursor is None:
            return pages


def test_a_viewer_reads_the_directory_without_roles_or_state(api, admin, viewer, developer):
    reply = api.get("/people", token=viewer.token)
    assert reply.status == 200, reply.body
    assert reply.body["next_cursor"] is None
    people = reply.body["items"]
    assert {p["id"] for p in people} == {admin.id, viewer.id, developer.id}
    for person in people:
        assert set(person) == {"id", "name", "email"}
    by_id = {p["id"]: p for p in people}
    assert by_id[developer.id] == {"id": developer.id, "name": "Developer", "email": developer.user["email"]}
    # Newest first, like every list: the admin was created first.
    assert people[-1]["id"] == admin.id


def test_the_directory_pages_like_every_list(api, admin, viewer):
    made = _make_people(7)
    pages = _all_pages(api, viewer.token, "limit=3")
    assert [len(page) for page in pages] == [3, 3, 3]  # 7 + admin + viewer
    ids = [p["id"] for page in pages for p in page]
    assert ids[:7] == [p["id"] for p in reversed(made)]
    assert len(set(ids)) == 9


@pytest.mark.parametrize("principal", ["viewer", "developer"])
def test_users_stays_admin_only(api, admin, viewer, developer, principal):
    token = {"viewer": viewer, "developer": developer}[principal].token
    assert api.get("/users", token=token).status == 403
    assert api.get("/users", token=admin.token).status == 200


def test_ids_resolves_many_users_in_one_batch_read(api, admin, viewer):
    made = _make_people(60)
    wanted = [p["id"] for p in made[10:55]]
    unknown = str(uuid.uuid4())
    asked = [wanted[3], unknown, *wanted, wanted[0]]  # an unknown id and repeats
    with count_aws_calls() as calls:
        reply = api.get(f"/people?limit=100&ids={','.join(asked)}", token=viewer.token)
    assert reply.status == 200, reply.body
    # In the order asked, each once, the unknown id simply absent.
    expected_order = list(dict.fromkeys([wanted[3], *wanted]))
    assert [p["id"] for p in reply.body["items"]] == expected_order
    assert reply.body["next_cursor"] is None
    names = {p["id"]: p["name"] for p in made}
    assert all(p["name"] == names[p["id"]] for p in reply.body["items"])
    # One BatchGetItem for all 46 ids; the only other read is the middleware's lookup of the caller.
    assert calls.count(operation="BatchGetItem") == 1
    assert calls.count(operation="GetItem") <= 1 and calls.count(operation="Query") == 0


def test_ids_pages_through_the_users_found(api, admin, viewer):
    made = _make_people(5)
    asked = [made[4]["id"], str(uuid.uuid4()), made[0]["id"], made[2]["id"], str(uuid.uuid4()), made[1]["id"]]
    pages = _all_pages(api, viewer.token, f"limit=2&ids={','.join(asked)}")
    assert [[p["id"] for p in page] for page in pages] == [[made[4]["id"], made[0]["id"]],
                                                           [made[2]["id"], made[1]["id"]]]
    # The cursor belongs to that list of ids.
    first = api.get(f"/people?limit=2&ids={','.join(asked)}", token=viewer.token).body["next_cursor"]
    other = api.get(f"/people?limit=2&ids={made[3]['id']}&cursor={first}", token=viewer.token)
    assert other.status == 400 and other.body["errors"][0]["field"] == "cursor"
    plain = api.get(f"/people?cursor={first}", token=viewer.token)
    assert plain.status == 400 and plain.body["errors"][0]["field"] == "cursor"


A, B = "5f0c1c2e-8a34-4c1e-9a43-0d7b7f6e2a11", "c2a9e6d4-3b1f-4d5e-8f7a-6b2c1d0e9f88"


@pytest.mark.parametrize("ids", [
    "not-an-id",
    f"{A},,{B}",
    f"{A},{B[:-1]}",
    f"{A} ",
    f"{A},{B},",
    ",".join(str(uuid.UUID(int=i)) for i in range(101)),
], ids=["not-an-id", "empty-item", "short-id", "trailing-space", "trailing-comma", "101-ids"])
def test_malformed_or_too_many_ids_are_a_400_naming_ids(api, admin, viewer, ids):
    reply = api.get(f"/people?ids={ids}", token=viewer.token)
    assert reply.status == 400, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    assert [e["field"] for e in reply.body["errors"]] == ["ids"]


def test_a_hundred_ids_are_accepted(api, admin, viewer):
    asked = [viewer.id, *(str(uuid.uuid4()) for _ in range(99))]
    reply = api.get(f"/people?limit=100&ids={','.join(asked)}", token=viewer.token)
    assert reply.status == 200, reply.body
    assert [p["id"] for p in reply.body["items"]] == [viewer.id]


def test_people_is_documented_with_its_exact_model(api):
    document = api.get("/openapi.json").body
    operation = document["paths"]["/people"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"limit", "cursor", "ids"}
    schemas = document["components"]["schemas"]
    ids = next(p for p in operation["parameters"] if p["name"] == "ids")
    assert ids["schema"]["maxLength"] == 100 * 37 - 1  # a hundred ids and their commas, not the usual 1024
    person = schemas["Person"]
    assert set(person["properties"]) == {"id", "name", "email"}
    assert set(person["required"]) == {"id", "name", "email"}
