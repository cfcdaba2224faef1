"""The route table, the OpenAPI document and the error format hold for every route."""
from __future__ import annotations

import re

from openapi_spec_validator import validate

from app import app
from chalicelib.api.openapi import build_document
from chalicelib.api.routing import ACCESS_LEVELS, ROUTES


def _registered() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def test_every_registered_route_declares_its_access_rule():
    registered = _registered()
    missing = registered - set(ROUTES)
    assert not missing, f"routes without a declared access rule: {sorted(missing)}"
    assert set(ROUTES) == registered
    for spec in ROUTES.values():
        assert spec.access in ACCESS_LEVELS


def test_the_openapi_document_is_valid_and_covers_exactly_the_registered_routes(api):
    reply = api.get("/openapi.json")
    assert reply.status == 200
    document = reply.body
    validate(document)
    assert document["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert documented == _registered()
    assert document == build_document()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if ROUTES[(method.upper(), path)].access != "public":
                assert operation["security"], (method, path)
                assert "401" in operation["responses"] and "403" in operation["responses"]
            for status, response in operation["responses"].items():
                # A protocol's own error shape (OFREP) is declared on the route, documented as is.
                if int(status) >= 400 and int(status) not in ROUTES[(method.upper(), path)].responses:
                    assert "application/problem+json" in response["content"], (method, path, status)


def test_protected_routes_refuse_anonymous_callers_with_problem_json(api):
    for (method, path), spec in ROUTES.items():
        if spec.access == "public":
            continue
        concrete = re.sub(r"{\w+}", "00000000-0000-4000-8000-000000000000", path)
        reply = api.request(method, concrete, body={} if method in ("POST", "PATCH") else None)
        assert reply.status == 401, (method, path, reply.status)
        assert reply.header("Content-Type") == "application/problem+json"
        assert set(reply.body) >= {"title", "status", "detail", "request_id"}
        assert reply.header("X-Content-Type-Options") == "nosniff"


def test_health_reports_every_table(api):
    reply = api.get("/health")
    assert reply.status == 200
    assert reply.body["status"] == "ok" and reply.body["checks"]["dynamodb"] == "ok"


def test_an_unhandled_error_is_a_clean_500(api, admin, monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("table idp-test-users arn:aws:dynamodb secret internals")

    monkeypatch.setattr("chalicelib.domain.users.list_users", explode)
    reply = api.get("/users", token=admin.token)
    assert reply.status == 500
    assert reply.header("Content-Type") == "application/problem+json"
    assert "idp-test" not in str(reply.body) and "arn:" not in str(reply.body)
    assert reply.body["request_id"] == reply.header("X-Request-Id")
