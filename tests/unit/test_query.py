"""Query strings are read by chalicelib.api.query, without pydantic: what a client may send after
``?``, the 400 naming each wrong parameter, and the document built from the same declarations. A
cold read (the portal's first page) imports no pydantic at all."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from chalicelib.api.query import (
    ID,
    TIMESTAMP,
    Choice,
    Integer,
    ListQuery,
    QueryParams,
    Text,
    documented,
    param,
    read,
)
from chalicelib.core.errors import ValidationFailed
from tests.conftest import ROOT


@dataclass(frozen=True, kw_only=True)
class ThingQuery(ListQuery):
    colour: str | None = param(Choice(("red", "green", "blue")), description="Only things of this colour.")
    owner_id: str | None = param(ID)
    since: str | None = param(TIMESTAMP, server_validated="must not be after `until`")
    slug: str | None = param(Text(pattern=r"^[a-z][a-z0-9-]{1,62}$"))
    user_id: str = param(Text(max_length=8), required=True)


def _read(**given: str | list[str]) -> ThingQuery:
    return read(ThingQuery, {"user_id": ["u1"], **{k: v if isinstance(v, list) else [v] for k, v in given.items()}})


def _refusals(**given: str | list[str]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as refused:
        _read(**given)
    return {error["field"]: error["message"] for error in refused.value.errors}


def test_absent_parameters_take_their_defaults_and_present_ones_their_canonical_form():
    query = _read(owner_id="3F0C2B9E-8D4A-4C1E-9B7A-2E5D6F8A1C3B", since="2026-12-02T10:00:00+01:00")
    assert (query.limit, query.cursor, query.colour) == (20, None, None)
    assert query.owner_id == "3f0c2b9e-8d4a-4c1e-9b7a-2e5d6f8a1c3b"
    assert query.since == "2026-12-02T09:00:00.000Z"
    assert query.user_id == "u1"


@pytest.mark.parametrize(("text", "limit"), [("5", 5), (" 5 ", 5), ("+5", 5), ("05", 5), ("5.0", 5), ("1_0", 10)])
def test_an_integer_is_read_as_pydantic_reads_one_from_text(text, limit):
    assert _read(limit=text).limit == limit


@pytest.mark.parametrize(("text", "message"), [
    ("0", "Input should be greater than or equal to 1"),
    ("-0", "Input should be greater than or equal to 1"),
    ("101", "Input should be less than or equal to 100"),
    ("1" * 30, "Input should be less than or equal to 100"),
    ("5.5", "Input should be a valid integer, unable to parse string as an integer"),
    ("0x10", "Input should be a valid integer, unable to parse string as an integer"),
    ("\u0665", "Input should be a valid integer, unable to parse string as an integer"),  # an Arabic-Indic 5
    ("5e1", "Input should be a valid integer, unable to parse string as an integer"),
])
def test_a_wrong_integer_is_refused_saying_why(text, message):
    assert _refusals(limit=text) == {"limit": message}


def test_every_wrong_parameter_is_named_at_once():
    assert _refusals(colour="purple", owner_id="nope", since="yesterday", slug="Bad", limit="0") == {
        "colour": "Input should be 'red', 'green' or 'blue'",
        "owner_id": "not a valid id",
        "since": "not an ISO 8601 timestamp",
        "slug": "String should match pattern '^[a-z][a-z0-9-]{1,62}$'",
        "limit": "Input should be greater than or equal to 1",
    }


def test_a_pattern_matches_the_whole_value_not_a_line_of_it():
    assert _read(slug="payments-api").slug == "payments-api"
    assert "slug" in _refusals(slug="payments-api\n")


def test_the_query_string_rules_hold_for_every_parameter():
    assert _refusals(colour=["red", "blue"]) == {"colour": "query parameter given more than once"}
    assert _refusals(colour="") == {"colour": "query parameter is empty: leave it out instead"}
    assert _refusals(cursor="x" * 1025) == {"cursor": "query parameter is too long"}
    assert _refusals(user_id="u" * 9) == {"user_id": "String should have at most 8 characters"}
    assert _refusals(is_admin="true") == {"is_admin": "unknown field"}
    with pytest.raises(ValidationFailed) as refused:
        read(ThingQuery, {})
    assert refused.value.errors == [{"field": "user_id", "message": "Field required"}]


def test_the_document_says_what_read_accepts():
    by_name = {parameter["name"]: parameter for parameter in documented(ThingQuery)}
    assert list(by_name) == ["limit", "cursor", "colour", "owner_id", "since", "slug", "user_id"]
    assert by_name["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert by_name["colour"] == {"name": "colour", "in": "query", "required": False,
                                 "description": "Only things of this colour.",
                                 "schema": {"type": "string", "enum": ["red", "green", "blue"]}}
    assert by_name["owner_id"]["schema"] == {"type": "string", "format": "uuid", "minLength": 1, "maxLength": 64}
    assert by_name["since"]["schema"]["x-server-validated"] == "must not be after `until`"
    assert by_name["slug"]["schema"]["maxLength"] == 1024  # no longer than read() takes
    assert by_name["user_id"]["required"] is True


def test_a_field_declared_without_param_is_refused():
    @dataclass(frozen=True, kw_only=True)
    class Careless(QueryParams):
        page: int = 1

    with pytest.raises(TypeError, match=r"Careless.page is not declared with query.param\(\)"):
        read(Careless, {})
    with pytest.raises(ValueError, match="must match the whole value"):
        Text(pattern="[a-z]+")
    assert Integer(ge=1, le=3).read("3") == 3


COLD_READ = """
import json, sys
from app import app
from chalicelib.api import http
from chalicelib.api.route_index import ROUTE_MODULES
from chalicelib.api.routing import ROUTES
# A valid value for each required query parameter a GET declares (a new one must be added here).
REQUIRED = {"user_id": ["user-42"]}
warm = []  # the GETs after whose lookup and query pydantic is imported: none may be
read = []
for (method, path), module in ROUTE_MODULES.items():
    if method != "GET" or module in ("openapi", "ofrep"):
        continue
    spec = ROUTES[(method, path)]
    if spec.query is not None:
        given = {name: REQUIRED[name] for name, known in http.queries.parameters(spec.query).items() if known.required}
        http.queries.read(spec.query, given)
    read.append(path)
    if "pydantic" in sys.modules:
        warm.append(path)
query = http.queries.read(ROUTES[("GET", "/services")].query, {"limit": ["5"], "lifecycle": ["production"]})
cold = "pydantic" in sys.modules
ROUTES[("POST", "/services")].body  # a write's body model: imported on first use
print(json.dumps({"cold": cold, "warm": warm, "read": read, "limit": query.limit, "write": "pydantic" in sys.modules}))
"""


def test_a_cold_read_of_any_resource_imports_no_pydantic():
    """What keeps an authenticated list's cold start near a bare handler's (scripts/bench,
    cold_start_lambda): looking up every GET route and reading its query string (/health, the
    catalog, users, flags, deployments, logs, audit, metrics, alerts, SDK keys, /auth/me) needs
    no pydantic; a write does. /openapi.json builds the document from the models, so it is left out."""
    from chalicelib.api.route_index import ROUTE_MODULES

    gets = [path for (method, path), module in ROUTE_MODULES.items()
            if method == "GET" and module not in ("openapi", "ofrep")]
    out = subprocess.run([sys.executable, "-c", COLD_READ], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"cold": False, "warm": [], "read": gets, "limit": 5,
                                                               "write": True}
    assert {"/health", "/auth/me", "/users", "/flags/{key}/evaluate", "/metrics/summary"} <= set(gets)
