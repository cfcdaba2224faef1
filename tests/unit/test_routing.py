"""route() is the HTTP edge: a handler takes exactly what its route parses, and the test clients
refuse a success answer its route does not document."""
from __future__ import annotations

import pytest
from chalice import Blueprint
from pydantic import ValidationError

import app  # noqa: F401 - fills the route table
from chalicelib.api.routing import ROUTES, VIEWER, route
from chalicelib.api.schemas import RequestModel
from tests.support import check_documented_success

bp = Blueprint("tests.unit.things")
JSON = {"Content-Type": "application/json"}


class Thing(RequestModel):
    name: str


def test_a_handler_that_ignores_its_routes_body_is_refused():
    with pytest.raises(ValueError, match=r"must take \['body'\]"):
        @route(bp, "/things", "POST", access=VIEWER, summary="Create a thing", body=Thing)
        def create_thing(caller): ...
    assert ("POST", "/things") not in ROUTES


def test_a_handler_that_reads_input_its_route_does_not_declare_is_refused():
    with pytest.raises(ValueError, match=r"takes \['query'\], which its route /things does not declare"):
        @route(bp, "/things", "GET", access=VIEWER, summary="List things")
        def list_things(query): ...
    assert ("GET", "/things") not in ROUTES


def test_a_path_parameter_that_is_not_an_id_says_how_it_is_read():
    with pytest.raises(ValueError, match="say how the path parameter name is read"):
        @route(bp, "/things/{name}", "GET", access=VIEWER, summary="A thing")
        def get_thing(name): ...


def test_a_success_body_must_be_exactly_what_the_route_documents():
    check_documented_success("GET", "/health", 200, JSON, {"status": "ok", "checks": {"dynamodb": "ok"}})
    with pytest.raises(AssertionError, match="does not document"):
        check_documented_success("GET", "/health", 200, JSON, {"status": "ok", "checks": {}, "secret": "x"})
    with pytest.raises(ValidationError):
        check_documented_success("GET", "/health", 200, JSON, {"status": "fine", "checks": {}})
    with pytest.raises(AssertionError, match="documents 201"):
        check_documented_success("POST", "/services", 200, JSON, {})
    with pytest.raises(AssertionError, match="documents none"):
        check_documented_success("DELETE", "/flags/some-flag", 204, {}, {"deleted": True})
