"""/ofrep/v1: the OpenFeature Remote Evaluation Protocol, so OpenFeature SDKs with an OFREP
provider evaluate our flags unchanged. The SDK key comes as ``Authorization: Bearer`` or in ``X-API-Key``
(the protocol's ApiKeyAuth). Evaluation errors use OFREP's own body
(``{key?, errorCode, errorDetails}``, ``application/json``), declared on the routes as their
error shape; 401, 403 and 413 stay problem+json, which OFREP providers map to a general error."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Literal

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import ConfigDict, Field, WithJsonSchema

from chalicelib.api import http
from chalicelib.api.problems import json_response
from chalicelib.api.query import SERVER_VALIDATED
from chalicelib.api.routing import VIEWER, route
from chalicelib.api.schemas import RequestModel, ResponseModel
from chalicelib.core.errors import MalformedBody, ValidationFailed
from chalicelib.core.settings import ENVIRONMENTS
from chalicelib.domain import metrics, ofrep
from chalicelib.domain.caller import Caller

bp = Blueprint(__name__)

ErrorCode = Literal[ofrep.ERROR_CODES]  # type: ignore[valid-type]


# Any string here: whether it is an environment depends on the credential (an SDK key naming another
# one is a 403, not a 400), which the domain decides; the document lists the environments.
ContextEnvironment = Annotated[str, WithJsonSchema({"enum": list(ENVIRONMENTS), "type": "string"})]


class OfrepContext(RequestModel):
    # OFREP's context carries any attributes the application has; those we do not use are ignored.
    model_config = ConfigDict(extra="allow")

    targetingKey: str | None = Field(
        None, max_length=ofrep.MAX_TARGETING_KEY,
        description="The user id. Required by flags whose rollout is below 100.")
    environment: ContextEnvironment | None = Field(
        None, description="Required with a user token; an SDK key uses its own (naming another one is 403).")


class OfrepRequest(RequestModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"context": {"targetingKey": "user-42", "environment": "production"}},
        {"context": {"targetingKey": "user-42", "environment": "staging", "plan": "pro"}}]})

    context: OfrepContext | None = Field(None, json_schema_extra={SERVER_VALIDATED: (
        "`environment` is required with a user token (an SDK key supplies its own); `targetingKey` is required by "
        "flags whose rollout is below 100: OFREP's INVALID_CONTEXT / TARGETING_KEY_MISSING")})


class OfrepMetadata(ResponseModel):
    reason_code: str = Field(description="Our own reason: FLAG_DISABLED, ENVIRONMENT_NOT_TARGETED, "
                                         "OUTSIDE_ROLLOUT or ALL_CONDITIONS_MET.")


class OfrepSuccess(ResponseModel):
    key: str
    value: bool
    variant: Literal["on", "off"]
    reason: Literal[ofrep.REASONS]  # type: ignore[valid-type]
    metadata: OfrepMetadata


class OfrepFailure(ResponseModel):
    key: str | None = None
    errorCode: ErrorCode
    errorDetails: str


class OfrepBulkSuccess(ResponseModel):
    flags: list[OfrepSuccess | OfrepFailure]


def ofrep_errors(error: Exception, path_params: Mapping[str, str]) -> Response | None:
    """OFREP's error body for what OFREP names: an unreadable body is ``PARSE_ERROR``, a context of
    the wrong shape ``INVALID_CONTEXT``; a single flag's error carries its key."""
    if isinstance(error, MalformedBody):
        error = ofrep.OfrepError(400, ofrep.PARSE_ERROR, error.errors[0]["message"] if error.errors else error.detail)
    elif isinstance(error, ValidationFailed):
        first = (error.errors or [{"field": "context", "message": error.detail}])[0]
        error = ofrep.OfrepError(400, ofrep.INVALID_CONTEXT, f"{first['field']}: {first['message']}")
    if not isinstance(error, ofrep.OfrepError):
        return None
    answer = ofrep.OfrepError(error.status, error.code, error.details, path_params.get("key", error.key))
    return json_response(answer.to_dict(), answer.status)


def _context(caller: Caller, body: OfrepRequest) -> ofrep.Context:
    context = body.context
    return ofrep.resolve_context(caller, context.environment if context else None,
                                 context.targetingKey if context else None)


def _etag(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return '"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


@route(bp, "/ofrep/v1/evaluate/flags/{key}", "POST", access=VIEWER, sdk_key=True, api_key_header=True,
       summary="OFREP: evaluate one flag", body=OfrepRequest, response=OfrepSuccess, errors=(400, 401, 403, 404, 413),
       responses={400: OfrepFailure, 404: OfrepFailure}, body_optional=True, path_params={"key": str},
       protocol_errors=ofrep_errors,
       description="OpenFeature Remote Evaluation Protocol. `context.targetingKey` is the user id. 400 "
                   "`PARSE_ERROR` / `INVALID_CONTEXT` / `TARGETING_KEY_MISSING` and 404 `FLAG_NOT_FOUND` answer "
                   "OFREP's `{key, errorCode, errorDetails}` as application/json.")
def ofrep_evaluate_flag(caller: Caller, key: str, body: OfrepRequest):
    evaluated = ofrep.evaluate_flag(_context(caller, body), key)
    # Counted once per request, here: a Powertools metric costs several times the evaluation, so
    # the domain's evaluation stays free of it.
    metrics.count(metrics.FLAG_EVALUATED)
    return http.respond(evaluated)


@route(bp, "/ofrep/v1/evaluate/flags", "POST", access=VIEWER, sdk_key=True, api_key_header=True,
       summary="OFREP: evaluate every flag", body=OfrepRequest, response=OfrepBulkSuccess, errors=(400, 401, 403, 413),
       responses={304: None, 400: OfrepFailure}, body_optional=True, protocol_errors=ofrep_errors,
       headers={200: {"ETag": "Changes whenever any returned value, variant or reason would change."},
                304: {"ETag": "The current ETag."}},
       request_headers={"If-None-Match": "An ETag from an earlier answer: 304 while it is still current."},
       description="Every flag, sorted by key. A flag that cannot be evaluated for this context (a split flag "
                   "without `targetingKey`) is listed as `{key, errorCode, errorDetails}`.")
def ofrep_evaluate_flags(caller: Caller, request: Request, body: OfrepRequest):
    evaluated = ofrep.evaluate_all(_context(caller, body))
    if evaluated["flags"]:
        metrics.count(metrics.FLAG_EVALUATED, len(evaluated["flags"]))
    etag = _etag(evaluated)
    if _matches(request.headers.get("if-none-match"), etag):
        # No body, so no Content-Type either.
        return Response(body="", status_code=304, headers={"ETag": etag})
    return http.respond(evaluated, 200, {"ETag": etag})
