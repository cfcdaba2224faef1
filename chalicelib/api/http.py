"""Request parsing and response shaping shared by the handlers: strict JSON, validated query
strings, path ids, and the caller the middleware authenticated."""
from __future__ import annotations

import json
import uuid
from typing import Any

from chalice import Response
from pydantic import BaseModel, ValidationError

from chalicelib.core.errors import NotFound, ValidationFailed
from chalicelib.domain.caller import Caller

MAX_BODY_BYTES = 65_536
MAX_QUERY_VALUE = 1024
CALLER_KEY = "idp_caller"


def caller(request) -> Caller:
    return request.context[CALLER_KEY]


def validation_errors(error: ValidationError, prefix: str = "") -> list[dict]:
    found = []
    for problem in error.errors(include_url=False):
        location = [str(part) for part in problem.get("loc", ())]
        name = ".".join(location) or prefix or "body"
        if prefix and location:
            name = f"{prefix}.{name}" if prefix != "query" else name
        message = problem.get("msg", "invalid value")
        if problem.get("type") == "value_error":  # our validators' own words, without pydantic's "Value error, "
            message = message.removeprefix("Value error, ")
        if problem.get("type") == "extra_forbidden":
            message = "unknown field"
        found.append({"field": name, "message": message})
    return found


def validate(model: type[BaseModel], data: Any, prefix: str = "") -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(validation_errors(error, prefix)) from None


def _reject_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValidationFailed.field(key, "duplicate key in JSON object")
        result[key] = value
    return result


def _reject_constant(name):
    raise ValidationFailed.field("body", f"{name} is not valid JSON")


def _number(text: str) -> float | int:
    """JSON has one number type: ``3.0`` is the integer 3 (as JSON Schema's ``integer`` says), so it
    is read as one and strict integer fields accept it; ``1.5`` stays a float and is refused there.
    A number too large for a double (``1e400``) is refused instead of becoming infinity."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValidationFailed.field("body", f"number {text[:32]} is out of range")
    return int(value) if value.is_integer() else value


def parse_json(raw: bytes | None) -> Any:
    if not raw:
        raise ValidationFailed.field("body", "a JSON object is required")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed.field("body", "body is not valid UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant,
                          parse_float=_number)
    except RecursionError:
        raise ValidationFailed.field("body", "JSON is nested too deeply") from None
    except ValueError as error:
        if isinstance(error, ValidationFailed):
            raise
        raise ValidationFailed.field("body", f"malformed JSON: {error}") from None


def json_body(request, model: type[BaseModel]) -> BaseModel:
    data = parse_json(request.raw_body)
    if not isinstance(data, dict):
        raise ValidationFailed.field("body", "the body must be a JSON object")
    return validate(model, data)


def optional_json_body(request, model: type[BaseModel]) -> BaseModel:
    """For POSTs whose body may be empty (treated as ``{}``)."""
    if not request.raw_body:
        return validate(model, {})
    return json_body(request, model)


def max_query_value(model: type[BaseModel], name: str) -> int:
    """MAX_QUERY_VALUE, or more for a parameter whose model declares a longer ``max_length`` (a list
    of ids)."""
    declared = model.model_fields.get(name)
    lengths = [getattr(meta, "max_length", None) for meta in (declared.metadata if declared else ())]
    return max([MAX_QUERY_VALUE, *(length for length in lengths if isinstance(length, int))])


def query(request, model: type[BaseModel]) -> BaseModel:
    original = request.to_original_event().get("multiValueQueryStringParameters") or {}
    values = {}
    for name, given in original.items():
        if len(given) > 1:
            raise ValidationFailed.field(name, "query parameter given more than once")
        if len(given[0]) > max_query_value(model, name):
            raise ValidationFailed.field(name, "query parameter is too long")
        if given[0] == "":
            # "?actor_id=" filters on nothing; passed on, it would reach DynamoDB as an empty key (a 500).
            raise ValidationFailed.field(name, "query parameter is empty: leave it out instead")
        values[name] = given[0]
    return validate(model, values)


def path_id(value: str, resource: str) -> str:
    """Ids are UUIDs; anything else cannot name a resource, so it is a 404."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"{resource} {value[:64]!r} not found") from None
    if str(parsed) != value.lower():
        raise NotFound(f"{resource} {value[:64]!r} not found")
    return str(parsed)


class HandlerResponse(Response):
    """A response a handler shaped on purpose: the middleware keeps its status and body as they are,
    even an error status (``/health``'s 503 carries the health report, not a problem document)."""


def respond(body: Any = None, status: int = 200, headers: dict | None = None) -> Response:
    all_headers = {"Content-Type": "application/json"} if body is not None else {}
    all_headers.update(headers or {})
    return HandlerResponse(body=json.dumps(body, separators=(",", ":")) if body is not None else "",
                           status_code=status, headers=all_headers)


def no_content() -> Response:
    return Response(body="", status_code=204, headers={})


def protocol_error(body: dict, status: int) -> Response:
    return HandlerResponse(body=json.dumps(body, separators=(",", ":")), status_code=status,
                            headers={"Content-Type": "application/json"})
