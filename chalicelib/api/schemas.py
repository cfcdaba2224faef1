"""Pydantic models shared by several resources. Request models are strict (no type coercion, no
unknown fields) so a wrong type is a 400 naming the field; the OpenAPI document is generated from
these same models."""
from __future__ import annotations

import re
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.core import clock
from chalicelib.core.settings import ENVIRONMENTS

T = TypeVar("T")

Role = Literal["viewer", "developer", "admin"]
Environment = Literal[ENVIRONMENTS]  # type: ignore[valid-type]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value.lower()


def _timestamp(value: str) -> str:
    try:
        return clock.iso(clock.parse_iso(value))
    except (ValueError, OverflowError):
        raise ValueError("not an ISO 8601 timestamp") from None


Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254), AfterValidator(_email)]
Password = Annotated[str, StringConstraints(min_length=10, max_length=128)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Timestamp = Annotated[str, Field(max_length=64, json_schema_extra={"format": "date-time"}), AfterValidator(_timestamp)]


# Every model defers building its validator to first use (``defer_build``): a cold start pays
# only for the models of the route it serves. Response models only document the API (handlers
# shape their answers as plain dicts), so theirs are built only for /openapi.json.
class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class QueryModel(BaseModel):
    # Query strings are text: numbers are parsed from them, unknown parameters are refused.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ResponseModel(BaseModel):
    """Base of every response model (the success bodies the route table documents)."""

    model_config = ConfigDict(defer_build=True)


class ListQuery(QueryModel):
    limit: int = Field(20, ge=1, le=100, description="Page size, 1 to 100.")
    cursor: str | None = Field(None, max_length=2048, description="Opaque cursor from `next_cursor`.")


class Page(ResponseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class FieldError(ResponseModel):
    field: str
    message: str


class Problem(ResponseModel):
    """RFC 9457 problem details, as every error is answered."""

    title: str
    status: int
    detail: str
    request_id: str
    errors: list[FieldError] | None = None
