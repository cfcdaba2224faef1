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


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation, ROUTES[(method.upper(), path)]


def test_every_operation_documents_every_status_it_can_answer():
    """What the shared machinery makes every route answer is in the document too: 413 and 415 on all,
    401/403 when protected, 400 when a body or query is read, 404 with a path parameter."""
    document = build_document()
    for method, path, operation, spec in _operations(document):
        statuses = {int(status) for status in operation["responses"]}
        where = f"{method} {path}"
        assert {spec.status, 413, 415} <= statuses, where
        if spec.access != "public":
            assert {401, 403} <= statuses, where
            assert operation["x-minimum-role"] == spec.access and operation["x-sdk-key"] == spec.sdk_key, where
            assert operation.get("x-owner-parameter", "") == spec.owner, where
            assert {"bearerAuth": []} in operation["security"], where
            assert ({"sdkKey": []} in operation["security"]) == spec.sdk_key, where
            assert ({"sdkApiKey": []} in operation["security"]) == spec.api_key_header, where
        else:
            assert operation["security"] == [], where
        if spec.body is not None or spec.query is not None:
            assert 400 in statuses, where
        if "{" in path:
            assert 404 in statuses, where
        for status, response in operation["responses"].items():
            assert {"X-Request-Id", "X-Content-Type-Options", "Cache-Control"} <= set(response["headers"]), (where, status)
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "sdkKey", "sdkApiKey"}


def test_every_request_body_has_an_example_the_server_accepts():
    """Examples are documented for every body (schemathesis sends them first) and each one passes the
    route's own model, so the document cannot show a body that would be refused."""
    document = build_document()
    missing = []
    for method, path, operation, spec in _operations(document):
        if spec.body is None:
            continue
        examples = operation["requestBody"]["content"]["application/json"].get("examples", {})
        if not examples:
            missing.append(f"{method} {path} ({spec.body.__name__})")
        for name, example in examples.items():
            spec.body.model_validate(example["value"])  # raises, naming the field, if the example is wrong
    assert not missing, f"request bodies without an example (add json_schema_extra examples): {missing}"


def test_query_parameters_are_documented_within_the_servers_limits(api, admin):
    from chalicelib.api.query import parameters

    for method, path, operation, spec in _operations(build_document()):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["schema"].get("type") == "string":
                # 1024 characters, or the longer max_length a parameter declares (/people's `ids`).
                assert parameter["schema"].get("maxLength", 0) <= parameters(spec.query)[parameter["name"]].max_length, (
                    method, path, parameter["name"])
                if "enum" not in parameter["schema"]:
                    assert parameter["schema"]["minLength"] >= 1, (method, path, parameter["name"])
            if parameter["in"] == "path" and parameter["name"].endswith("_id"):
                assert parameter["schema"]["format"] == "uuid", (method, path, parameter["name"])
    # An empty filter is a 400 naming it (the fuzzer found `?actor_id=` reaching DynamoDB as an empty key).
    for query in ("actor_id=", "resource_id=", "cursor="):
        reply = api.get(f"/audit?{query}", token=admin.token)
        assert reply.status == 400 and reply.body["errors"][0]["field"] == query[:-1], reply.body


def test_an_undeclared_method_is_405_before_authentication(api):
    reply = api.request("PUT", "/users")
    assert reply.status == 405
    assert set(reply.header("Allow").split(", ")) == {"GET", "POST"}
    assert reply.header("Content-Type") == "application/problem+json"


def test_integral_numbers_are_integers_and_huge_ones_are_refused(api, admin):
    """JSON has one number type: 2.0 is the integer 2, as the document's `integer` says."""
    created = api.post("/users", {"email": "n@example.com", "name": "N", "password": "password-1234",
                                  "role": "viewer"}, token=admin.token)
    user_id = created.body["id"]
    assert api.patch(f"/users/{user_id}", raw=b'{"name": "M", "version": 1.0}', token=admin.token).status == 200
    half = api.patch(f"/users/{user_id}", raw=b'{"version": 2.5}', token=admin.token)
    assert half.status == 400 and half.body["errors"][0]["field"] == "version"
    huge = api.patch(f"/users/{user_id}", raw=b'{"version": 1e400}', token=admin.token)
    assert huge.status == 400 and "out of range" in huge.body["errors"][0]["message"]
