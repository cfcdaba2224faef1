"""/openapi.json, generated from the route table and the pydantic models, so it cannot drift from
the code."""
from __future__ import annotations

import functools
import re

from chalice import Blueprint
from pydantic import BaseModel

from chalicelib.api import http
from chalicelib.api.routing import PUBLIC, ROUTES, route
from chalicelib.api.schemas import Problem

bp = Blueprint(__name__)

ERROR_DESCRIPTIONS = {
    400: "Malformed JSON, wrong types, unknown or out-of-range values (the field is named).",
    401: "Missing, malformed, expired or revoked credentials.",
    403: "The role or ownership rule forbids it.",
    404: "Unknown resource.",
    409: "Uniqueness clash, stale version or a conflicting state.",
    413: "Body over 65 536 bytes.",
    422: "The request cannot be processed as sent.",
    429: "Too many requests.",
    503: "A dependency is down.",
}
OTHER_DESCRIPTIONS = {304: "Not modified: the ETag named in If-None-Match is still current."}
REF = "#/components/schemas/{model}"


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


def _query_parameters(model) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        if "anyOf" in prop:  # "X | None": a query parameter is simply absent instead
            options = [p for p in prop["anyOf"] if p.get("type") != "null"]
            default = prop.get("default")
            prop = options[0] if len(options) == 1 else {"anyOf": options}
            if default is not None:
                prop["default"] = default
        prop.pop("default", None) if prop.get("default") is None else None
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def build_document() -> dict:
    components: dict = {}
    problem_ref = _schema_of(Problem, components)
    paths: dict = {}
    for (method, path), spec in sorted(ROUTES.items(), key=lambda item: (item[0][1], item[0][0])):
        operation: dict = {"operationId": spec.operation_id, "summary": spec.summary, "tags": [spec.tag]}
        if spec.description:
            operation["description"] = spec.description
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in re.findall(r"{(\w+)}", path)]
        if spec.query is not None:
            parameters += _query_parameters(spec.query)
        for name, description in spec.request_headers.items():
            parameters.append({"name": name, "in": "header", "required": False, "description": description,
                               "schema": {"type": "string", "maxLength": 255}})
        if parameters:
            operation["parameters"] = parameters
        if spec.body is not None:
            operation["requestBody"] = {"required": True,
                                        "content": {"application/json": {"schema": _schema_of(spec.body, components)}}}
        responses: dict = {}
        success: dict = {"description": spec.summary}
        if spec.response is not None:
            success["content"] = {"application/json": {"schema": _schema_of(spec.response, components)}}
        if spec.headers.get(spec.status):
            success["headers"] = {k: {"description": v, "schema": {"type": "string"}}
                                  for k, v in spec.headers[spec.status].items()}
        responses[str(spec.status)] = success
        for status, model in sorted(spec.responses.items()):
            other: dict = {"description": ERROR_DESCRIPTIONS.get(status, spec.summary) if status >= 400
                           else OTHER_DESCRIPTIONS.get(status, spec.summary)}
            if model is not None:
                other["content"] = {"application/json": {"schema": _schema_of(model, components)}}
            if spec.headers.get(status):
                other["headers"] = {k: {"description": v, "schema": {"type": "string"}}
                                    for k, v in spec.headers[status].items()}
            responses[str(status)] = other
        for status in sorted(set(spec.errors) | ({401, 403} if spec.access != PUBLIC else set())):
            if status in spec.responses:
                continue
            error: dict = {"description": ERROR_DESCRIPTIONS.get(status, "Error"),
                           "content": {"application/problem+json": {"schema": problem_ref}}}
            if spec.headers.get(status):
                error["headers"] = {k: {"description": v, "schema": {"type": "string"}}
                                    for k, v in spec.headers[status].items()}
            responses[str(status)] = error
        operation["responses"] = responses
        if spec.access != PUBLIC:
            operation["security"] = [{"bearerAuth": []}] + ([{"sdkKey": []}] if spec.sdk_key else [])
            operation["x-minimum-role"] = spec.access
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Internal Developer Platform API", "version": "1.0.0",
                 "description": "Register services, deploy them, switch feature flags, read logs and audit."},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "A user's token from POST /auth/login."},
                "sdkKey": {"type": "http", "scheme": "bearer",
                           "description": "An SDK key (idp_sk_...): flag evaluation endpoints only."},
            },
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
