"""/ofrep/v1: the OpenFeature Remote Evaluation Protocol, so OpenFeature SDKs with an OFREP
provider evaluate our flags unchanged. The SDK key comes as ``Authorization: Bearer`` or in ``X-API-Key``
(the protocol's ApiKeyAuth). Evaluation errors use OFREP's own body
(``{key?, errorCode, errorDetails}``, ``application/json``); 401, 403 and 413 stay problem+json
from the middleware, which OFREP providers map to a general error."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from chalice import Blueprint, Response
from pydantic import ConfigDict, Field

from chalicelib.api import http
from chalicelib.api.routing import VIEWER, route
from chalicelib.api.schemas import SERVER_VALIDATED, Environment, ResponseModel
from chalicelib.core.errors import ValidationFailed
from chalicelib.domain import ofrep

bp = Blueprint(__name__)

ErrorCode = Literal[ofrep.ERROR_CODES]  # type: ignore[valid-type]


class OfrepContext(ResponseModel):
    # Documents the body; the handler reads it itself (OFREP's own errors), so like the responses
    # it is never validated through pydantic.
    model_config = ConfigDict(extra="allow")

    targetingKey: str | None = Field(
        None, max_length=ofrep.MAX_TARGETING_KEY,
        description="The user id. Required by flags whose rollout is below 100.")
    environment: Environment | None = Field(
        None, description="Required with a user token; an SDK key uses its own (naming another one is 403).")


class OfrepRequest(ResponseModel):
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


def _body(request) -> Any:
    """The JSON body, ``{}`` when empty; anything unreadable is OFREP's PARSE_ERROR."""
    if not request.raw_body:
        return {}
    try:
        return http.parse_json(request.raw_body)
    except ValidationFailed as error:
        raise ofrep.OfrepError(400, ofrep.PARSE_ERROR, error.errors[0]["message"] if error.errors else error.detail) from None


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
       responses={400: OfrepFailure, 404: OfrepFailure},
       description="OpenFeature Remote Evaluation Protocol. `context.targetingKey` is the user id. 400 "
                   "`PARSE_ERROR` / `INVALID_CONTEXT` / `TARGETING_KEY_MISSING` and 404 `FLAG_NOT_FOUND` answer "
                   "OFREP's `{key, errorCode, errorDetails}` as application/json.")
def ofrep_evaluate_flag(key):
    request = bp.current_request
    try:
        return http.respond(ofrep.evaluate_flag(http.caller(request), key, _body(request)))
    except ofrep.OfrepError as error:
        error.key = key
        return http.protocol_error(error.to_dict(), error.status)


@route(bp, "/ofrep/v1/evaluate/flags", "POST", access=VIEWER, sdk_key=True, api_key_header=True,
       summary="OFREP: evaluate every flag", body=OfrepRequest, response=OfrepBulkSuccess, errors=(400, 401, 403, 413),
       responses={304: None, 400: OfrepFailure},
       headers={200: {"ETag": "Changes whenever any returned value, variant or reason would change."},
                304: {"ETag": "The current ETag."}},
       request_headers={"If-None-Match": "An ETag from an earlier answer: 304 while it is still current."},
       description="Every flag, sorted by key. A flag that cannot be evaluated for this context (a split flag "
                   "without `targetingKey`) is listed as `{key, errorCode, errorDetails}`.")
def ofrep_evaluate_flags():
    request = bp.current_request
    try:
        body = ofrep.evaluate_all(http.caller(request), _body(request))
    except ofrep.OfrepError as error:
        return http.protocol_error(error.to_dict(), error.status)
    etag = _etag(body)
    if _matches(request.headers.get("if-none-match"), etag):
        # No body, so no Content-Type either.
        return Response(body="", status_code=304, headers={"ETag": etag})
    return http.respond(body, 200, {"ETag": etag})
