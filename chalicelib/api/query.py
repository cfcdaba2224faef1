"""Query strings: what a route accepts after ``?``, declared once per route as a frozen dataclass
of typed parameters, read here and documented from the same declarations.

Query parameters are flat text, so reading them needs no schema engine: this module imports
neither pydantic nor anything that does, and a cold GET (the portal's first page, an authenticated
list) pays for neither pydantic's import nor a validator's build (request bodies still go through
pydantic, in chalicelib.api.models). Its wording of errors follows pydantic's, as the bodies' does.

    @dataclass(frozen=True, kw_only=True)
    class ServiceQuery(ListQuery):
        lifecycle: str | None = param(Choice(LIFECYCLES), description="Only services in this lifecycle.")

``read`` turns a request's multi-value query parameters into an instance or raises
:class:`ValidationFailed` naming every wrong parameter; ``documented`` gives the OpenAPI
parameter objects. A parameter is given at most once, never empty, and at most
``MAX_QUERY_VALUE`` characters long unless its kind allows more.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from chalicelib.core import clock, ids
from chalicelib.core.errors import ValidationFailed

MAX_QUERY_VALUE = 1024
# Marks a value whose validity the schema cannot express (a signed cursor, the order of two
# fields, a rule that depends on the credential): a schema-valid value may still be a 400 naming
# it. The document carries it; the fuzzing suite reads it.
SERVER_VALIDATED = "x-server-validated"

_PARAMETER = "idp_query_parameter"


# ---------------------------------------------------------------- kinds of parameter
@dataclass(frozen=True)
class Integer:
    """A whole number between ``ge`` and ``le``, read as pydantic's lax mode reads one from text:
    surrounding whitespace, a sign, ``_`` between digits and a zero fraction (``5.0``) are allowed."""

    ge: int
    le: int

    _FORM = re.compile(r"\s*([+-]?[0-9](?:_?[0-9])*)(?:\.0*)?\s*")

    def read(self, text: str) -> int:
        form = self._FORM.fullmatch(text)
        if form is None:
            raise ValueError("Input should be a valid integer, unable to parse string as an integer")
        value = int(form.group(1))
        if value < self.ge:
            raise ValueError(f"Input should be greater than or equal to {self.ge}")
        if value > self.le:
            raise ValueError(f"Input should be less than or equal to {self.le}")
        return value

    def schema(self) -> dict:
        return {"type": "integer", "minimum": self.ge, "maximum": self.le}


@dataclass(frozen=True)
class Text:
    """A string of at most ``max_length`` characters (else MAX_QUERY_VALUE) matching ``pattern``
    (a whole-value ``^...$`` pattern, documented as is), then handed to ``then``: a function that
    returns the value to use (a canonical form) or raises ValueError with what is wrong.
    ``documented`` adds to the documented schema what ``then`` checks (a format, a pattern)."""

    max_length: int | None = None
    pattern: str | None = None
    then: Callable[[str], str] | None = None
    documented: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.pattern is not None and not (self.pattern.startswith("^") and self.pattern.endswith("$")):
            raise ValueError(f"pattern {self.pattern!r} must match the whole value: ^...$")

    @functools.cached_property
    def _whole(self) -> re.Pattern[str] | None:
        # fullmatch of what is between ^ and $: Python's $ would also accept a trailing newline.
        return re.compile(self.pattern[1:-1]) if self.pattern else None

    def read(self, text: str) -> str:
        if self.max_length is not None and len(text) > self.max_length:
            raise ValueError(f"String should have at most {self.max_length} characters")
        if self._whole is not None and not self._whole.fullmatch(text):
            raise ValueError(f"String should match pattern '{self.pattern}'")
        return self.then(text) if self.then else text

    def schema(self) -> dict:
        schema: dict[str, Any] = {"type": "string"}
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.pattern is not None:
            schema["pattern"] = self.pattern
        return {**schema, **self.documented}


@dataclass(frozen=True)
class Choice:
    """One of ``values``, exactly."""

    values: tuple[str, ...]

    def read(self, text: str) -> str:
        if text not in self.values:
            quoted = [f"'{value}'" for value in self.values]
            listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
            raise ValueError(f"Input should be {listed}")
        return text

    def schema(self) -> dict:
        return {"type": "string", "enum": list(self.values)}


Kind = Integer | Text | Choice


def canonical_id(value: str) -> str:
    """A well-formed UUID, in its canonical lower-case form."""
    found = ids.canonical(value)
    if found is None:
        raise ValueError("not a valid id")
    return found


def canonical_timestamp(value: str) -> str:
    """An ISO 8601 instant, in the form the API writes."""
    try:
        return clock.iso(clock.parse_iso(value))
    except (ValueError, OverflowError):
        raise ValueError("not an ISO 8601 timestamp") from None


ID = Text(max_length=64, then=canonical_id, documented={"format": "uuid"})
TIMESTAMP = Text(max_length=64, then=canonical_timestamp, documented={"format": "date-time"})


# ---------------------------------------------------------------- declaring parameters
@dataclass(frozen=True)
class Parameter:
    name: str
    kind: Kind
    required: bool
    default: Any
    description: str
    server_validated: str

    @property
    def max_length(self) -> int:
        """The longest value read (a longer one is refused before its kind sees it)."""
        declared = self.kind.max_length if isinstance(self.kind, Text) else None
        return max(MAX_QUERY_VALUE, declared or 0)


def param(kind: Kind, *, default: Any = None, required: bool = False, description: str = "",
          server_validated: str = "") -> Any:
    """One query parameter of a query dataclass: absent, it is ``default`` (or, ``required``, an
    error)."""
    declared = {"kind": kind, "description": description, "server_validated": server_validated}
    if required:
        return dataclasses.field(metadata={_PARAMETER: declared})
    return dataclasses.field(default=default, metadata={_PARAMETER: declared})


@dataclass(frozen=True, kw_only=True)
class QueryParams:
    """Base of every query dataclass (declare each one ``@dataclass(frozen=True, kw_only=True)``)."""


Query = TypeVar("Query", bound=QueryParams)


_DECLARED: dict[type, dict[str, Parameter]] = {}


def parameters(model: type[QueryParams]) -> dict[str, Parameter]:
    """The parameters ``model`` declares, in declaration order."""
    if model in _DECLARED:
        return _DECLARED[model]
    found = {}
    for spec in dataclasses.fields(model):
        declared = spec.metadata.get(_PARAMETER)
        if declared is None:
            raise TypeError(f"{model.__name__}.{spec.name} is not declared with query.param()")
        required = spec.default is dataclasses.MISSING
        found[spec.name] = Parameter(name=spec.name, required=required, default=None if required else spec.default,
                                     **declared)
    _DECLARED[model] = found
    return found


@dataclass(frozen=True, kw_only=True)
class ListQuery(QueryParams):
    limit: int = param(Integer(ge=1, le=100), default=20, description="Page size, 1 to 100.")
    cursor: str | None = param(Text(max_length=1024), description="Opaque cursor from `next_cursor`.",
                               server_validated="signed by the server for this list and filters")


# ---------------------------------------------------------------- reading and documenting
def read(model: type[Query], given: Mapping[str, Sequence[str]]) -> Query:
    """``model`` from a request's query parameters (each name with the list of its values), or
    ValidationFailed naming every parameter that is wrong."""
    declared = parameters(model)
    errors, values = [], {}
    for name, texts in given.items():
        known = declared.get(name)
        problem = _refusal(known, texts)
        if problem is None and known is not None:
            try:
                values[name] = known.kind.read(texts[0])
            except ValueError as error:
                problem = str(error)
        if problem:
            errors.append({"field": name, "message": problem})
    errors += [{"field": name, "message": "Field required"} for name, known in declared.items()
               if known.required and name not in given]
    if errors:
        raise ValidationFailed(errors)
    return model(**values)


def _refusal(known: Parameter | None, texts: Sequence[str]) -> str | None:
    if len(texts) > 1:
        return "query parameter given more than once"
    if len(texts[0]) > (known.max_length if known else MAX_QUERY_VALUE):
        return "query parameter is too long"
    if texts[0] == "":
        # "?actor_id=" filters on nothing; passed on, it would reach DynamoDB as an empty key (a 500).
        return "query parameter is empty: leave it out instead"
    if known is None:
        return "unknown field"
    return None


def documented(model: type[QueryParams]) -> list[dict]:
    """The OpenAPI parameter objects of ``model``: what ``read`` accepts, as JSON Schema (a string
    is documented non-empty and no longer than its limit, as ``read`` refuses otherwise)."""
    found = []
    for known in parameters(model).values():
        schema = known.kind.schema()
        if schema["type"] == "string" and "enum" not in schema:
            schema.setdefault("maxLength", known.max_length)  # a Text's own is never longer
            schema["minLength"] = 1
        if known.default is not None:
            schema["default"] = known.default
        if known.server_validated:
            schema[SERVER_VALIDATED] = known.server_validated
        parameter = {"name": known.name, "in": "query", "required": known.required, "schema": schema}
        if known.description:
            parameter["description"] = known.description
        found.append(parameter)
    return found
