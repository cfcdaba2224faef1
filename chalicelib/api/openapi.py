"""/openapi.json, generated from the route table and the pydantic models, so it cannot drift from
the code.

Besides what each route declares, the generator documents what the shared machinery makes every
route answer, so that no status, header or body a client can meet is missing:

- 413 (body over the limit, checked before authentication) and 415 (a ``Content-Type`` that is not
  JSON) on every operation;
- 401 and 403 on every protected operation, 400 on every operation that reads a body or a query
  string, 404 on every operation with a path parameter;
- ``X-Request-Id`` and the security headers on every response;
- problem+json on every error, unless the route declares another shape in ``responses``.

A method the table does not declare on a known path is answered 405 with ``Allow`` (no operation
documents it, as OpenAPI has no place for undeclared methods).
"""
from __future__ import annotations

import copy
import functools
import re

from chalice import Blueprint
from pydantic import BaseModel

from chalicelib.api import http, query
from chalicelib.api.routing import PUBLIC, ROUTES, route
from chalicelib.api.schemas import Problem

bp = Blueprint(__name__)

ERROR_DESCRIPTIONS = {
    400: "Malformed JSON, wrong types, unknown or out-of-range values, a repeated or oversized query "
         "parameter, a forged cursor (the field is named in `errors`).",
    401: "Missing, malformed, expired or revoked credentials; unknown or disabled user.",
    403: "Authenticated, but the role or ownership rule forbids it (an SDK key outside flag evaluation).",
    404: "Unknown resource, including a path id that is not a well-formed id.",
    409: "Uniqueness clash, stale version or a conflicting state.",
    413: "Body over 65 536 bytes (checked before authentication).",
    415: "The Content-Type is not application/json.",
    422: "The request cannot be processed as sent.",
    429: "Too many requests.",
    503: "A dependency is down.",
}
OTHER_DESCRIPTIONS = {304: "Not modified: the ETag named in If-None-Match is still current."}
# Every operation can answer these, whatever it declares (see the module docstring).
ANY_OPERATION_ERRORS = (413, 415)
REF = "#/components/schemas/{model}"
HEADER_REF = "#/components/headers/{name}"

# Headers the middleware puts on every response (chalicelib.api.middleware).
COMMON_HEADERS = {
    "X-Request-Id": "The request's id; quote it when reporting a problem.",
    "X-Content-Type-Options": "Always `nosniff`.",
    "Cache-Control": "Always `no-store`: answers carry tokens and private data.",
}
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "A user's token from POST /auth/login (HS256, one hour)."},
    "sdkKey": {"type": "http", "scheme": "bearer", "bearerFormat": "idp_sk_...",
               "description": "An SDK key (`Authorization: Bearer idp_sk_...`): flag evaluation endpoints only, "
                              "in the key's own environment."},
    "sdkApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                  "description": "An SDK key in `X-API-Key` instead of `Authorization` (OFREP's ApiKeyAuth): the "
                                 "OFREP endpoints only. Sending both headers is a 401."},
}
DESCRIPTION = """Register services, deploy them, switch feature flags, read logs and audit.

Every error is `application/problem+json` (`title`, `status`, `detail`, `request_id`, and `errors`
naming each field on a 400). Roles: viewer < developer < admin; each operation names its minimum role in
`x-minimum-role`; where it also names `x-owner-parameter`, a caller below admin must own the resource that path
parameter names (403 otherwise). Request bodies are JSON objects of at most 65 536 bytes; unknown fields, duplicate keys
and wrong types are refused. A query parameter may be given once, with at most 1024 characters unless its
schema allows more. A method that a path does not declare is answered 405 with `Allow`."""


def _schema_of(model, components: dict) -> dict:
    schema = model.model_json_schema(ref_template=REF, mode="serialization" if _is_response(model) else "validation")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    name = _component_name(model)
    components[name] = schema
    return {"$ref": REF.format(model=name)}


def _is_response(model) -> bool:
    return not getattr(model, "model_config", {}).get("extra") == "forbid"


def _component_name(model) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", model.__name__)


def _path_parameters(path: str) -> list[dict]:
    params = []
    for name in re.findall(r"{(\w+)}", path):
        if name.endswith("_id"):
            resource = name[: -len("_id")].replace("_", " ")
            params.append({"name": name, "in": "path", "required": True,
                           "description": f"The {resource}'s id (a UUID; anything else is a 404).",
                           "schema": {"type": "string", "format": "uuid"}})
        else:
            params.append({"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}})
    return params


def _header_parameter(name: str, declared) -> dict:
    """A documented request header: ``{name: "description"}`` in the route table, or ``{name:
    {"description": ..., "schema": {...}, "required": bool}}`` when the handler accepts only some
    values (a pattern), so the document says exactly what is refused."""
    if isinstance(declared, str):
        declared = {"description": declared}
    return {"name": name, "in": "header", "required": bool(declared.get("required", False)),
            "description": declared.get("description", ""),
            "schema": declared.get("schema") or {"type": "string"}}


def _request_body(model, components: dict) -> dict:
    media: dict = {"schema": _schema_of(model, components)}
    examples = (model.model_json_schema().get("examples") or [])
    if examples:
        media["examples"] = {f"example{i + 1}" if i else "example": {"value": copy.deepcopy(example)}
                             for i, example in enumerate(examples)}
    return {"required": True, "content": {"application/json": media}}


def _headers(spec, status: int) -> dict:
    headers: dict[str, dict] = {name: {"$ref": HEADER_REF.format(name=name)} for name in COMMON_HEADERS}
    for name, description in (spec.headers.get(status) or {}).items():
        headers[name] = {"description": description, "required": True, "schema": {"type": "string"}}
    return headers


def error_statuses(spec) -> set[int]:
    """Every problem+json status the operation can answer."""
    statuses = set(spec.errors) | set(ANY_OPERATION_ERRORS)
    if spec.access != PUBLIC:
        statuses |= {401, 403}
    if spec.body_model is not None or spec.query is not None:
        statuses.add(400)
    if "{" in spec.path:
        statuses.add(404)
    return statuses - set(spec.responses)


def _operation(spec, components: dict, problem_ref: dict) -> dict:
    operation: dict = {"operationId": spec.operation_id, "summary": spec.summary, "tags": [spec.tag]}
    if spec.description:
        operation["description"] = spec.description
    parameters = _path_parameters(spec.path)
    if spec.query is not None:
        parameters += query.documented(spec.query)
    for name, declared in spec.request_headers.items():
        parameters.append(_header_parameter(name, declared))
    if parameters:
        operation["parameters"] = parameters
    if spec.body is not None:
        operation["requestBody"] = _request_body(spec.body, components)

    responses: dict = {}
    success: dict = {"description": spec.summary, "headers": _headers(spec, spec.status)}
    if spec.response is not None:
        success["content"] = {"application/json": {"schema": _schema_of(spec.response, components)}}
    responses[str(spec.status)] = success
    for status, model in sorted(spec.responses.items()):
        other: dict = {"description": ERROR_DESCRIPTIONS.get(status, spec.summary) if status >= 400
                       else OTHER_DESCRIPTIONS.get(status, spec.summary), "headers": _headers(spec, status)}
        if model is not None:
            other["content"] = {"application/json": {"schema": _schema_of(model, components)}}
        responses[str(status)] = other
    for status in sorted(error_statuses(spec)):
        responses[str(status)] = {"description": ERROR_DESCRIPTIONS.get(status, "Error"),
                                  "headers": _headers(spec, status),
                                  "content": {"application/problem+json": {"schema": problem_ref}}}
    operation["responses"] = dict(sorted(responses.items()))
    if spec.access == PUBLIC:
        operation["security"] = []
    else:
        operation["security"] = ([{"bearerAuth": []}] + ([{"sdkKey": []}] if spec.sdk_key else [])
                                 + ([{"sdkApiKey": []}] if spec.api_key_header else []))
        operation["x-minimum-role"] = spec.access
        operation["x-sdk-key"] = spec.sdk_key
        if spec.owner:  # below admin, only the owner of the resource the parameter names
            operation["x-owner-parameter"] = spec.owner
    return operation


def build_document() -> dict:
    components: dict = {}
    problem_ref = _schema_of(Problem, components)
    paths: dict = {}
    for (method, path), spec in sorted(ROUTES.items(), key=lambda item: (item[0][1], item[0][0])):
        paths.setdefault(path, {})[method.lower()] = _operation(spec, components, problem_ref)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Internal Developer Platform API", "version": "1.0.0", "description": DESCRIPTION},
        "tags": [{"name": tag} for tag in sorted({spec.tag for spec in ROUTES.values()})],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "headers": {name: {"description": description, "required": True, "schema": {"type": "string"}}
                        for name, description in COMMON_HEADERS.items()},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


@functools.lru_cache(maxsize=1)
def document() -> dict:
    return build_document()


class _OpenAPIDocument(BaseModel):
    openapi: str
    info: dict
    paths: dict
    components: dict


@route(bp, "/openapi.json", "GET", access=PUBLIC, summary="This OpenAPI 3.1 document", response=_OpenAPIDocument)
def get_openapi():
    return http.respond(document())
