"""Pydantic models shared by several resources. Request models are strict (no type coercion, no
unknown fields) so a wrong type is a 400 naming the field; the OpenAPI document is generated from
these same models."""
from __future__ import annotations

import re
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.core.settings import ENVIRONMENTS

T = TypeVar("T")

Role = Literal["viewer", "developer", "admin"]
Environment = Literal[ENVIRONMENTS]  # type: ignore[valid-type]

# The WHATWG (HTML) email syntax, ASCII only, with a dot in the domain. The same pattern is in the
# document, and Python's and ECMA's regex engines read it alike, so what a client is told and what
# the server accepts are the same set.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$"
_EMAIL = re.compile(EMAIL_PATTERN)


def _email(value: str) -> str:
    # fullmatch: with re.match, "$" would also accept a trailing newline.
    if not _EMAIL.fullmatch(value):
        raise ValueError("not a valid email address")
    return value.lower()


# Surrounding whitespace is refused rather than silently stripped, so the document and the server agree.
Email = Annotated[str, StringConstraints(min_length=3, max_length=254),
                  Field(json_schema_extra={"pattern": EMAIL_PATTERN}), AfterValidator(_email)]
Password = Annotated[str, StringConstraints(min_length=10, max_length=128)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


# Every model defers building its validator to first use (``defer_build``): a cold start pays
# only for the models of the route it serves. Response models only document the API (handlers
# shape their answers as plain dicts, which the tests check against them), so theirs are built
# only for /openapi.json and the tests.
class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class EmptyBody(RequestModel):
    """The body of an action that takes none: empty or ``{}``."""


class ResponseModel(BaseModel):
    """Base of every response model (the success bodies the route table documents)."""

    model_config = ConfigDict(defer_build=True)


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
