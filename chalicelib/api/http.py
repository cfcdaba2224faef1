"""Request parsing and response shaping for :func:`chalicelib.api.routing.route`: strict JSON,
validated query strings, path ids, and the caller the middleware authenticated."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from chalice import Response
from chalice.app import Request

from chalicelib.api import query as queries
from chalicelib.api.problems import HandlerResponse, json_response
from chalicelib.core import ids
from chalicelib.core.errors import MalformedBody, ValidationFailed
from chalicelib.domain.caller import Caller

if TYPE_CHECKING:  # pydantic is imported by the models a route declares: /health has none
    from pydantic import BaseModel, ValidationError

MAX_BODY_BYTES = 65_536
CALLER_KEY = "idp_caller"
REQUEST_ID_KEY = "idp_request_id"

Model = TypeVar("Model", bound="BaseModel")


def caller(request: Request) -> Caller:
    return request.context[CALLER_KEY]


def request_id(request: Request) -> str:
    return request.context[REQUEST_ID_KEY]


def validation_errors(error: ValidationError) -> list[dict]:
    found = []
    for problem in error.errors(include_url=False):
        name = ".".join(str(part) for part in problem.get("loc", ())) or "body"
        message = problem.get("msg", "invalid value")
        if problem.get("type") == "value_error":  # our validators' own words, without pydantic's "Value error, "
            message = message.removeprefix("Value error, ")
        if problem.get("type") == "extra_forbidden":
            message = "unknown field"
        found.append({"field": name, "message": message})
    return found


def validate(model: type[Model], data: Any) -> Model:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(validation_errors(error)) from None


def _reject_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise MalformedBody.field(key, "duplicate key in JSON object")
        result[key] = value
    return result


def _reject_constant(name):
    raise MalformedBody.field("body", f"{name} is not valid JSON")


def _number(text: str) -> float | int:
    """JSON has one number type: ``3.0`` is the integer 3 (as JSON Schema's ``integer`` says), so it
    is read as one and strict integer fields accept it; ``1.5`` stays a float and is refused there.
    A number too large for a double (``1e400``) is refused instead of becoming infinity."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise MalformedBody.field("body", f"number {text[:32]} is out of range")
    return int(value) if value.is_integer() else value


def parse_json(raw: bytes | str | None) -> Any:
    if not raw:
        raise MalformedBody.field("body", "a JSON object is required")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise MalformedBody.field("body", "body is not valid UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant,
                          parse_float=_number)
    except RecursionError:
        raise MalformedBody.field("body", "JSON is nested too deeply") from None
    except ValueError as error:
        if isinstance(error, ValidationFailed):
            raise
        raise MalformedBody.field("body", f"malformed JSON: {error}") from None


def json_body(request: Request, model: type[Model], *, optional: bool = False) -> Model:
    """The body as ``model``; with ``optional``, an empty body is read as ``{}``."""
    if optional and not request.raw_body:
        return validate(model, {})
    data = parse_json(request.raw_body)
    if not isinstance(data, dict):
        raise MalformedBody.field("body", "the body must be a JSON object")
    return validate(model, data)


def query(request: Request, model: type[queries.Query]) -> queries.Query:
    return queries.read(model, request.to_original_event().get("multiValueQueryStringParameters") or {})


def path_id(resource: str) -> Callable[[str], str]:
    """The parser of a path parameter that is a resource's id: its canonical form, or a 404."""
    return lambda value: ids.require(value, resource)


def respond(body: Any = None, status: int = 200, headers: dict | None = None) -> HandlerResponse:
    return json_response(body, status, headers)


def no_content() -> Response:
    return Response(body="", status_code=204, headers={})
