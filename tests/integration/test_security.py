"""The security suite, generated from the route table: every route against every kind of caller,
and hostile bodies, ids and query strings against every route that reads them. A route added
tomorrow is covered by the same rules without editing this file.

The expected answer of each cell comes from the route's declared access rule
(``ROUTES[(method, path)].access`` / ``.sdk_key``) and the API's contract:

- anonymous on a protected route, an expired token, a disabled user's token, a revoked SDK key → 401
- an SDK key on a route that is not a flag-evaluation route → 403
- an SDK key in ``X-API-Key``: accepted only where the route declares ``api_key_header`` (OFREP), else 401
- a user whose role is below the route's minimum → 403
- a developer who does not own the service, on PATCH/DELETE under /services/{service_id} → 403
- a viewer or developer reading another user's /users/{user_id} → 403
- otherwise: neither 401 nor 403 (the request got past authorization; 400/404 are fine)
- a public route ignores credentials: never 401/403 whoever calls it.

All cells share one world set up once (users, tokens, SDK keys, a service per owner check), so the
conftest's per-test emptying of tables is replaced here by one emptying per module; Scans stay
forbidden.
"""
from __future__ import annotations

import copy
import json
import re
import time
import uuid
from dataclasses import dataclass, field

import jwt
import pytest

from chalicelib.api.http import MAX_BODY_BYTES
from chalicelib.api.query import MAX_QUERY_VALUE, parameters
from chalicelib.api.routing import ADMIN, DEVELOPER, PUBLIC, ROUTES, VIEWER
from chalicelib.core import security
from chalicelib.domain import auth as auth_domain
from chalicelib.domain import users as users_domain
from chalicelib.storage import users as user_store
from tests import hygiene
from tests.conftest import TEST_ENV
from tests.integration.conftest import _empty_tables, chalice_app
from tests.support import Api, count_aws_calls

SECRET = TEST_ENV["IDP_JWT_SECRET"]
TABLE_PREFIX = TEST_ENV["IDP_TABLE_PREFIX"]
RANK = {VIEWER: 0, DEVELOPER: 1, ADMIN: 2}
PROBLEM = "application/problem+json"

# principal -> the role it has (None: not a user)
PRINCIPALS = {
    "anonymous": None,
    "viewer": VIEWER,
    "developer": DEVELOPER,
    "developer_not_owner": DEVELOPER,
    "admin": ADMIN,
    "sdk_key": None,
    "revoked_sdk_key": None,
    "disabled_user": DEVELOPER,
    "expired_token": ADMIN,
}
UNAUTHENTICATED = ("anonymous", "revoked_sdk_key", "disabled_user", "expired_token")


def owner_rule(method: str, path: str) -> bool:
    """The contract's "owner" rows, as the route declares them (``RouteSpec.owner``: the path parameter
    naming the owned resource; admin passes every owner check)."""
    return bool(ROUTES[(method, path)].owner)


def self_rule(method: str, path: str) -> bool:
    """GET /users/{user_id}: "admin, or self"; anyone else gets 403 whether or not the user exists."""
    return method == "GET" and path == "/users/{user_id}"


def expected(method: str, path: str, principal: str) -> str:
    """'401', '403' or 'allowed' (neither 401 nor 403) for one cell of the matrix."""
    spec = ROUTES[(method, path)]
    if spec.access == PUBLIC:
        return "allowed"
    if principal in UNAUTHENTICATED:
        return "401"
    if principal == "sdk_key":
        return "allowed" if spec.sdk_key else "403"
    role = PRINCIPALS[principal]
    if RANK[role] < RANK[spec.access]:
        return "403"
    if principal == "developer_not_owner" and owner_rule(method, path):
        return "403"
    if role != ADMIN and self_rule(method, path):
        return "403"  # the path names someone else (see World.fill)
    return "allowed"


CELLS = [(method, path, principal) for (method, path) in sorted(ROUTES, key=lambda key: (key[1], key[0]))
         for principal in PRINCIPALS]


@dataclass
class World:
    api: Api
    tokens: dict = field(default_factory=dict)  # principal -> bearer credential (None: none sent)
    ids: dict = field(default_factory=dict)  # principal -> user id
    secrets: tuple = ()  # hashes that must never appear in a response
    bystander_id: str = ""

    def fill(self, method: str, path: str, principal: str) -> str:
        """A concrete path: ids that name nothing (a 404 once authorized), someone else's user id
        for the self rule, and for the owner rule (the route's ``owner`` parameter) a fresh resource owned
        by `developer`."""
        def value(match: re.Match) -> str:
            name = match.group(1)
            if name == "user_id" and self_rule(method, path):
                return self.bystander_id
            if name == ROUTES[(method, path)].owner:
                return self.owned_by_developer(name)
            return str(uuid.uuid4()) if name.endswith("_id") else "no-such-thing"
        return re.sub(r"{(\w+)}", value, path)

    def owned_by_developer(self, parameter: str) -> str:
        """A fresh resource owned by `developer`, for the route's owner parameter."""
        makers = {"service_id": self.new_service}
        assert parameter in makers, f"owner parameter {parameter}: teach the security suite to create one"
        return makers[parameter]()

    def new_service(self) -> str:
        reply = self.api.post("/services", {"name": f"svc-{uuid.uuid4().hex[:12]}"}, token=self.tokens["developer"])
        assert reply.status == 201, reply.body
        return reply.body["id"]

    def check_hygiene(self, reply, where: str) -> None:
        text = hygiene.response_text(reply.headers, json.dumps(reply.body) if reply.body is not None else "")
        found = hygiene.leaks(text, reply.status, table_prefix=TABLE_PREFIX, secrets=self.secrets)
        assert not found, f"{where}: the answer leaks {found}"
        missing = hygiene.missing_headers(reply.headers)
        assert not missing, f"{where}: the answer lacks {missing}"


@pytest.fixture(autouse=True)
def clean_state():
    """Replaces conftest's: the cells share the module's world (see ``world``). No Scans, still."""
    with count_aws_calls() as calls:
        yield
    assert calls.scans == 0, f"a table Scan was made: {[c for c in calls.calls if c[1] == 'Scan']}"


def _forge(claims: dict) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def _make_sdk_key(api: Api, admin_token: str) -> tuple[str, str]:
    """(secret, id) of a production SDK key."""
    reply = api.post("/sdk-keys", {"name": f"key-{uuid.uuid4().hex[:6]}", "environment": "production"},
                     token=admin_token)
    assert reply.status == 201, reply.body
    return reply.body["key"], reply.body["id"]


def _revoke_sdk_key(api: Api, admin_token: str, key_id: str) -> None:
    assert api.delete(f"/sdk-keys/{key_id}", token=admin_token).status == 204
    auth_domain.credential_cache.clear()


@pytest.fixture(scope="module")
def world():
    from chalice.test import Client

    _empty_tables()
    auth_domain.credential_cache.clear()
    with Client(chalice_app) as client:
        api = Api(client)
        users_domain.ensure_admin("admin@example.com", "Admin", "admin-password-123")
        admin = api.login("admin@example.com", "admin-password-123")
        created = {}
        for principal, role in (("viewer", VIEWER), ("developer", DEVELOPER), ("developer_not_owner", DEVELOPER),
                                ("disabled_user", DEVELOPER), ("bystander", VIEWER)):
            email = f"{principal.replace('_', '-')}@example.com"
            reply = api.post("/users", {"email": email, "name": principal, "password": "password-1234", "role": role},
                             token=admin.token)
            assert reply.status == 201, reply.body
            created[principal] = api.login(email, "password-1234")
        disabled = api.patch(f"/users/{created['disabled_user'].id}", {"disabled": True}, token=admin.token)
        assert disabled.status == 200, disabled.body

        sdk_key, _ = _make_sdk_key(api, admin.token)
        revoked_key, revoked_id = _make_sdk_key(api, admin.token)
        _revoke_sdk_key(api, admin.token, revoked_id)

        good = jwt.decode(admin.token, SECRET, algorithms=["HS256"], audience="idp-api")
        expired = _forge({**good, "iat": int(time.time()) - 7200, "nbf": int(time.time()) - 7200,
                          "exp": int(time.time()) - 3600})
        world = World(api=api, bystander_id=created["bystander"].id)
        world.tokens = {"anonymous": None, "admin": admin.token, "sdk_key": sdk_key, "revoked_sdk_key": revoked_key,
                        "expired_token": expired, **{name: session.token for name, session in created.items()}}
        world.ids = {"admin": admin.id, **{name: session.id for name, session in created.items()}}
        hashes = [record.password_hash for record in (user_store.get(i) for i in world.ids.values()) if record]
        world.secrets = (*hashes, security.hash_sdk_key(sdk_key), security.hash_sdk_key(revoked_key))
        yield world
    _empty_tables()


def _body_for(method: str, path: str):
    spec = ROUTES[(method, path)]
    if spec.body is not None or method in ("POST", "PATCH", "PUT"):
        return {}
    return None


@pytest.mark.parametrize(("method", "path", "principal"), CELLS,
                         ids=[f"{m} {p} as {who}" for m, p, who in CELLS])
def test_access_matrix(world, method, path, principal):
    want = expected(method, path, principal)
    concrete = world.fill(method, path, principal)
    reply = world.api.request(method, concrete, _body_for(method, path), token=world.tokens[principal])
    where = f"{method} {path} as {principal} ({concrete})"
    if want == "allowed":
        assert reply.status not in (401, 403), f"{where}: expected to pass authorization, got {reply.status} {reply.body}"
    else:
        assert reply.status == int(want), f"{where}: expected {want}, got {reply.status} {reply.body}"
        assert reply.header("Content-Type") == PROBLEM, where
        assert set(reply.body) >= {"title", "status", "detail", "request_id"}, where
    assert reply.status < 500, f"{where}: {reply.status} {reply.body}"
    world.check_hygiene(reply, where)


SELF_CELLS = [(method, path, principal) for (method, path) in sorted(ROUTES) if self_rule(method, path)
              for principal, role in PRINCIPALS.items() if role is not None and principal not in UNAUTHENTICATED]


@pytest.mark.parametrize(("method", "path", "principal"), SELF_CELLS,
                         ids=[f"{m} {p} as {who} for themselves" for m, p, who in SELF_CELLS])
def test_every_user_may_read_themselves(world, method, path, principal):
    reply = world.api.request(method, path.replace("{user_id}", world.ids[principal]), token=world.tokens[principal])
    assert reply.status == 200, f"{method} {path} as {principal}: {reply.status} {reply.body}"
    assert reply.body["id"] == world.ids[principal]
    world.check_hygiene(reply, f"{method} {path} as {principal}")


OWNER_CELLS = [(method, path) for (method, path) in sorted(ROUTES) if owner_rule(method, path)]


@pytest.mark.parametrize(("method", "path"), OWNER_CELLS, ids=[f"{m} {p}" for m, p in OWNER_CELLS])
def test_the_owner_and_admins_pass_the_owner_check(world, method, path):
    for principal in ("developer", "admin"):
        concrete = world.fill(method, path, principal)
        reply = world.api.request(method, concrete, _body_for(method, path), token=world.tokens[principal])
        assert reply.status in (200, 204), f"{method} {path} as {principal}: {reply.status} {reply.body}"
        world.check_hygiene(reply, f"{method} {path} as {principal}")


# --- hostile input, generated per route ------------------------------------------------------------

def _with_example(spec) -> dict:
    """A body the route's model accepts when it has an example, else an empty object."""
    examples = spec.body.model_json_schema().get("examples") if spec.body is not None else None
    return copy.deepcopy(examples[0]) if examples else {}


def _admin_path(world, spec) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(uuid.uuid4()) if m.group(1).endswith("_id") else "no-such-thing",
                  spec.path)


def _assert_refused(world, spec, reply, statuses: tuple[int, ...], where: str) -> None:
    assert reply.status in statuses, f"{where}: expected {statuses}, got {reply.status} {reply.body}"
    if reply.status not in spec.responses:
        assert reply.header("Content-Type") == PROBLEM, where
    world.check_hygiene(reply, where)


def _caller_for(spec, world) -> str | None:
    return None if spec.access == PUBLIC else world.tokens["admin"]


ALL_ROUTES = sorted(ROUTES, key=lambda key: (key[1], key[0]))
BODY_ROUTES = [key for key in ALL_ROUTES if ROUTES[key].body is not None]
ID_ROUTES = [key for key in ALL_ROUTES if re.search(r"{\w+_id}", key[1])]
QUERY_ROUTES = [key for key in ALL_ROUTES if ROUTES[key].query is not None]


def _ids(keys):
    return [f"{method} {path}" for method, path in keys]


@pytest.mark.parametrize(("method", "path"), ALL_ROUTES, ids=_ids(ALL_ROUTES))
def test_a_body_over_the_limit_is_413_before_authentication(world, method, path):
    spec = ROUTES[(method, path)]
    raw = b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    reply = world.api.request(method, _admin_path(world, spec), raw=raw)
    _assert_refused(world, spec, reply, (413,), f"{method} {path} with {len(raw)} bytes, anonymous")


HOSTILE_BODIES = {
    "deeply nested": b"[" * 30_000 + b"]" * 30_000,
    "deeply nested object": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "not UTF-8": b'{"name": "\xff\xfe\xfa"}',
    "UTF-16": '{"name": "x"}'.encode("utf-16"),
    "not JSON": b"name=x&role=admin",
    "a JSON array": b"[]",
    "a JSON string": b'"x"',
    "NaN": b'{"x": NaN}',
    "empty": b"",
}


@pytest.mark.parametrize(("method", "path", "kind"), [(m, p, k) for m, p in BODY_ROUTES for k in HOSTILE_BODIES],
                         ids=[f"{m} {p} with {k}" for m, p in BODY_ROUTES for k in HOSTILE_BODIES])
def test_hostile_bodies_are_a_clean_400(world, method, path, kind):
    spec = ROUTES[(method, path)]
    reply = world.api.request(method, _admin_path(world, spec), raw=HOSTILE_BODIES[kind], token=_caller_for(spec, world))
    # Where the path names a resource that does not exist, a 404 before the body is read is fine.
    allowed = (400, 404) if "{" in path else (400,)
    _assert_refused(world, spec, reply, allowed, f"{method} {path} with a body that is {kind}")


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=_ids(BODY_ROUTES))
def test_duplicate_keys_are_a_400_naming_the_key(world, method, path):
    spec = ROUTES[(method, path)]
    body = _with_example(spec)
    name = next(iter(body), None) or next(iter(spec.body.model_fields), "x")
    if name not in body:
        body[name] = 1
    raw = ("{" + json.dumps(body)[1:-1] + f', "{name}": {json.dumps(body[name])}' + "}").encode()
    reply = world.api.request(method, _admin_path(world, spec), raw=raw, token=_caller_for(spec, world))
    where = f"{method} {path} with {name!r} twice"
    _assert_refused(world, spec, reply, (400, 404) if "{" in path else (400,), where)
    if reply.status == 400 and reply.status not in spec.responses:
        assert any(error["field"] == name and "duplicate" in error["message"] for error in reply.body["errors"]), where


def _strict(spec) -> bool:
    """Whether the body model refuses unknown fields (every RequestModel; a protocol's own body, such as
    OFREP's, may allow them)."""
    return spec.body.model_config.get("extra") == "forbid"


STRICT_BODY_ROUTES = [key for key in BODY_ROUTES if _strict(ROUTES[key])]


@pytest.mark.parametrize(("method", "path"), STRICT_BODY_ROUTES, ids=_ids(STRICT_BODY_ROUTES))
def test_unknown_fields_and_wrong_types_are_a_400_naming_the_field(world, method, path):
    spec = ROUTES[(method, path)]
    body = {**_with_example(spec), "is_admin": True}
    reply = world.api.request(method, _admin_path(world, spec), body, token=_caller_for(spec, world))
    where = f"{method} {path} with an unknown field"
    _assert_refused(world, spec, reply, (400, 404) if "{" in path else (400,), where)
    if reply.status == 400 and reply.status not in spec.responses:
        assert "is_admin" in {error["field"] for error in reply.body["errors"]}, where


def _first_string(value, path=()):
    """The path to the first string in a JSON value, or None."""
    if isinstance(value, str):
        return path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _first_string(item, (*path, key))
        if found is not None:
            return found
    return None


def _set(body, path, new) -> None:
    for key in path[:-1]:
        body = body[key]
    body[path[-1]] = new


def _takes_a_string(spec) -> bool:
    """Whether a string can be put in the route's body: its example has one, or it refuses unknown
    fields (then an unknown string field must be refused as well)."""
    return _first_string(_with_example(spec)) is not None or _strict(spec)


STRING_BODY_ROUTES = [key for key in BODY_ROUTES if _takes_a_string(ROUTES[key])]


@pytest.mark.parametrize(("method", "path"), STRING_BODY_ROUTES, ids=_ids(STRING_BODY_ROUTES))
def test_a_string_that_is_not_unicode_is_a_400(world, method, path):
    """JSON may escape a lone surrogate (\\ud800); no store can keep it as UTF-8, so it must be refused
    at the door rather than fail on the way to DynamoDB."""
    spec = ROUTES[(method, path)]
    body = _with_example(spec)
    where = _first_string(body)
    if where is None:
        body, where = {**body, "name": "x"}, ("name",)
    _set(body, where, "x\ud800")
    raw = json.dumps(body).encode()  # json.dumps escapes it as \\ud800
    reply = world.api.request(method, _admin_path(world, spec), raw=raw, token=_caller_for(spec, world))
    _assert_refused(world, spec, reply, (400, 404) if "{" in path else (400,),
                    f"{method} {path} with a lone surrogate in {'.'.join(where)!r}")


CURSOR_ROUTES = [key for key in QUERY_ROUTES if "cursor" in parameters(ROUTES[key].query)]


@pytest.mark.parametrize(("method", "path"), CURSOR_ROUTES, ids=_ids(CURSOR_ROUTES))
def test_a_forged_cursor_is_a_400_naming_it(world, method, path):
    """Cursors are signed; any other string (non-ASCII included: it once made hmac raise) is a 400."""
    spec = ROUTES[(method, path)]
    for cursor in ("Q%C3%A9.%C3%A9x", "abc.def", "x" * 1000, "%F0%9F%94%91.%F0%9F%94%91", "."):
        reply = world.api.request(method, f"{_admin_path(world, spec)}?cursor={cursor}", token=_caller_for(spec, world))
        where = f"{method} {path}?cursor={cursor[:30]}"
        _assert_refused(world, spec, reply, (400, 404) if "{" in path else (400,), where)
        if reply.status == 400:
            assert [error["field"] for error in reply.body["errors"]] == ["cursor"], where


NOT_IDS = ("not-a-uuid", "00000000-0000-4000-8000-00000000000g", "0" * 300, "%2e%2e", "%00", "1 OR 1=1",
           "00000000000040008000000000000000", "{00000000-0000-4000-8000-000000000000}")


@pytest.mark.parametrize(("method", "path", "bad"), [(m, p, b) for m, p in ID_ROUTES for b in NOT_IDS],
                         ids=[f"{m} {p} with {b[:24]!r}" for m, p in ID_ROUTES for b in NOT_IDS])
def test_an_id_that_is_not_a_uuid_is_404(world, method, path, bad):
    spec = ROUTES[(method, path)]
    concrete = re.sub(r"{(\w+_id)}", bad, path)
    concrete = re.sub(r"{(\w+)}", "no-such-thing", concrete)
    reply = world.api.request(method, concrete, _with_example(spec) if spec.body is not None else _body_for(method, path),
                              token=world.tokens["admin"])
    _assert_refused(world, spec, reply, (404,), f"{method} {path} with id {bad[:40]!r}")


KEY_ROUTES = [key for key in ALL_ROUTES if re.search(r"{(?!\w+_id})\w+}", key[1])]
NOT_KEYS = ("%00", "x" * 300, "UPPER-CASE", "..", "%2e%2e%2fusers", "a%20b", "%F0%9F%94%91")


@pytest.mark.parametrize(("method", "path", "bad"), [(m, p, b) for m, p in KEY_ROUTES for b in NOT_KEYS],
                         ids=[f"{m} {p} with {b[:24]!r}" for m, p in KEY_ROUTES for b in NOT_KEYS])
def test_a_path_key_that_names_nothing_is_404(world, method, path, bad):
    """Path parameters that are not ids (a flag's key): anything that is not a valid key names nothing."""
    spec = ROUTES[(method, path)]
    concrete = re.sub(r"{(\w+_id)}", str(uuid.uuid4()), path)
    concrete = re.sub(r"{(\w+)}", bad, concrete)
    reply = world.api.request(method, concrete, _with_example(spec) if spec.body is not None else _body_for(method, path),
                              token=world.tokens["admin"])
    # A body the route cannot read may be refused (400) before the key is looked up.
    expected_statuses = (404,) if spec.body is None or _with_example(spec) else (400, 404)
    _assert_refused(world, spec, reply, expected_statuses, f"{method} {path} with {bad[:40]!r}")


def _query_cases(spec) -> dict:
    name = next(iter(parameters(spec.query)))
    return {
        f"{name} repeated": (f"{name}=1&{name}=2", name),
        f"{name} oversized": (f"{name}={'9' * (MAX_QUERY_VALUE + 1)}", name),
        "an unknown parameter": ("is_admin=true", "is_admin"),
        f"{name} of nul bytes": (f"{name}=%00%00", name),
        "a long unknown parameter name": ("x" * 3000 + "=1", "x" * 3000),
        **{f"{param} empty": (f"{param}=", param) for param in parameters(spec.query)},
    }


QUERY_CELLS = [(m, p, k) for m, p in QUERY_ROUTES for k in _query_cases(ROUTES[(m, p)])]


@pytest.mark.parametrize(("method", "path", "kind"), QUERY_CELLS, ids=[f"{m} {p} with {k}" for m, p, k in QUERY_CELLS])
def test_hostile_query_strings_are_a_400_naming_the_parameter(world, method, path, kind):
    spec = ROUTES[(method, path)]
    query, field_name = _query_cases(spec)[kind]
    reply = world.api.request(method, f"{_admin_path(world, spec)}?{query}", token=_caller_for(spec, world))
    where = f"{method} {path}?{query[:60]}"
    _assert_refused(world, spec, reply, (400, 404) if "{" in path else (400,), where)
    if reply.status == 400 and reply.status not in spec.responses:
        assert field_name in {error["field"] for error in reply.body["errors"]}, where


@pytest.mark.parametrize(("method", "path"), ALL_ROUTES, ids=_ids(ALL_ROUTES))
def test_a_content_type_that_is_not_json_is_415(world, method, path):
    spec = ROUTES[(method, path)]
    reply = world.api.request(method, _admin_path(world, spec), raw=b"<x/>", token=_caller_for(spec, world),
                              headers={"Content-Type": "application/xml"})
    _assert_refused(world, spec, reply, (415,), f"{method} {path} with Content-Type application/xml")


def test_an_undeclared_method_is_405_with_allow(world):
    paths = sorted({path for _, path in ROUTES})
    for path in paths:
        declared = {method for method, known in ROUTES if known == path}
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - declared):
            concrete = re.sub(r"{(\w+)}", "x", path)
            reply = world.api.request(method, concrete, token=world.tokens["admin"])
            assert reply.status == 405, (method, path, reply.status)
            assert set(reply.header("Allow").split(", ")) == declared, (method, path)
            assert reply.header("Content-Type") == PROBLEM
            world.check_hygiene(reply, f"{method} {path}")


SDK_ROUTES = [key for key in ALL_ROUTES if ROUTES[key].sdk_key]


def _environment_request(spec, environment: str):
    """(query string, body) naming ``environment`` wherever the route takes one (query, body, OFREP context)."""
    query, body = "", None
    if spec.query is not None and "environment" in parameters(spec.query):
        query = f"environment={environment}&" + "&".join(
            f"{name}=x" for name, known in parameters(spec.query).items() if known.required and name != "environment")
    if spec.body is not None:
        body = _with_example(spec)
        if "environment" in spec.body.model_fields:
            body["environment"] = environment
        elif "context" in spec.body.model_fields:
            body["context"] = {**(body.get("context") or {}), "environment": environment}
    return query, body


SDK_ENVIRONMENT_ROUTES = [key for key in SDK_ROUTES if _environment_request(ROUTES[key], "staging") != ("", None)]


@pytest.mark.parametrize(("method", "path"), SDK_ENVIRONMENT_ROUTES, ids=_ids(SDK_ENVIRONMENT_ROUTES))
def test_an_sdk_key_may_not_name_another_environment(world, method, path):
    """The world's SDK key is for production; naming staging with it is a 403, in OFREP too."""
    spec = ROUTES[(method, path)]
    query, body = _environment_request(spec, "staging")
    reply = world.api.request(method, f"{_admin_path(world, spec)}?{query}", body, token=world.tokens["sdk_key"])
    assert reply.status == 403, f"{method} {path} with the production key naming staging: {reply.status} {reply.body}"
    world.check_hygiene(reply, f"{method} {path}")
    same_query, same_body = _environment_request(spec, "production")
    same = world.api.request(method, f"{_admin_path(world, spec)}?{same_query}", same_body, token=world.tokens["sdk_key"])
    assert same.status not in (401, 403), f"{method} {path} naming its own environment: {same.status} {same.body}"


PROTECTED_ROUTES = [key for key in ALL_ROUTES if ROUTES[key].access != PUBLIC]


@pytest.mark.parametrize(("method", "path"), PROTECTED_ROUTES, ids=_ids(PROTECTED_ROUTES))
def test_x_api_key_is_read_only_where_the_route_takes_it(world, method, path):
    """An SDK key in ``X-API-Key`` (OFREP's ApiKeyAuth) authenticates exactly the routes that declare
    ``api_key_header``; anywhere else the header is not a credential (401: none was sent). A revoked
    key or a user's token in it is a 401 everywhere."""
    spec = ROUTES[(method, path)]
    concrete = world.fill(method, path, "sdk_key")
    reply = world.api.request(method, concrete, _body_for(method, path), headers={"X-API-Key": world.tokens["sdk_key"]})
    where = f"{method} {path} with X-API-Key"
    if spec.api_key_header:
        assert reply.status not in (401, 403), f"{where}: {reply.status} {reply.body}"
    else:
        assert reply.status == 401, f"{where}: {reply.status} {reply.body}"
    assert reply.status < 500, where
    world.check_hygiene(reply, where)
    for name in ("revoked_sdk_key", "admin"):
        refused = world.api.request(method, concrete, _body_for(method, path),
                                    headers={"X-API-Key": world.tokens[name]})
        assert refused.status == 401, f"{where} ({name}): {refused.status} {refused.body}"
        assert refused.header("Content-Type") == PROBLEM, where
