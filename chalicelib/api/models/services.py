"""The pydantic models of /services: the bodies its writes read and the answers its routes
document. Imported on the first write or when the document is built, never by a cold read (the
routes name them as ``"module:Name"``; chalicelib.api.routing)."""
from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import MISSING, AfterValidator, ConfigDict, Field, PlainValidator, StringConstraints, WithJsonSchema

from chalicelib.api.schemas import Environment, Page, RequestModel, ResponseModel
from chalicelib.api.services import MAX_DESCRIPTION_CHARS, MAX_TAG_CHARS, MAX_TAGS, MAX_URL_CHARS, NAME_PATTERN
from chalicelib.domain import services


def _http_url(value: str) -> str:
    problem = "must be an http or https URL"
    if any(c.isspace() for c in value):
        raise ValueError(problem)
    try:
        parts = urlsplit(value)
        _ = parts.port  # refuses a malformed port
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(problem)
    return value


def _tags(value: Any) -> list[str]:
    # One check for the whole list, so an error names the field ``tags`` itself.
    problem = f"must be a list of up to {MAX_TAGS} strings of 1 to {MAX_TAG_CHARS} characters"
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        raise ValueError(problem)
    for tag in value:
        if not isinstance(tag, str) or not 1 <= len(tag) <= MAX_TAG_CHARS:
            raise ValueError(problem)
    return list(value)


ServiceName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)]
RepositoryUrl = Annotated[str, Field(max_length=MAX_URL_CHARS, json_schema_extra={"format": "uri"}),
                          AfterValidator(_http_url)]
Lifecycle = Literal[services.LIFECYCLES]  # type: ignore[valid-type]
Tier = Annotated[int, Field(ge=1, le=4)]
Tags = Annotated[list[str], PlainValidator(_tags), WithJsonSchema({
    "type": "array", "maxItems": MAX_TAGS,
    "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_CHARS}})]
OwnerId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


Health = Literal["unknown", "healthy", "degraded"]


class LastDeployment(ResponseModel):
    id: str
    status: Literal["SUCCESS", "FAILED", "CANCELLED"]
    version: str
    environment: Environment
    finished_at: str | None


class EnvironmentState(ResponseModel):
    """One environment of a service, from that environment's deployments only."""

    active_deployment_id: str | None = Field(
        description="The `PENDING` or `RUNNING` deployment holding this environment's slot, else null.")
    last_deployment: LastDeployment | None = Field(
        description="The newest deployment to this environment that reached a terminal status, else null.")
    health: Health = Field(description="`unknown` until a deployment to this environment finished `SUCCESS` or "
                                       "`FAILED`, then `healthy` or `degraded` after the newest of those "
                                       "(`CANCELLED` leaves it unchanged).")


class Environments(ResponseModel):
    """Always all three environments."""

    development: EnvironmentState
    staging: EnvironmentState
    production: EnvironmentState


class Service(ResponseModel):
    id: str
    name: str
    description: str
    repository_url: str | None
    owner_id: str
    lifecycle: Lifecycle
    tier: int | None
    tags: list[str]
    health: Health = Field(description="After the newest deployment of any environment that finished `SUCCESS` "
                                       "(`healthy`) or `FAILED` (`degraded`); `unknown` before.")
    active_deployment_id: str | None = Field(
        description="The deployment holding a slot: production's, else staging's, else development's.")
    last_deployment: LastDeployment | None = Field(
        description="The newest deployment of any environment that reached a terminal status.")
    environments: Environments = Field(
        description="Each environment's own slot, newest finished deployment and health. Once a deployment reads "
                    "terminal, these (and the fields above) already name it.")
    created_at: str
    updated_at: str
    version: int


class CreateService(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "payments-api", "description": "Takes card payments", "repository_url":
         "https://github.com/example/payments-api", "lifecycle": "production", "tier": 1, "tags": ["payments", "pci"]},
        {"name": "search-indexer"}]})

    name: ServiceName
    description: Description = ""
    repository_url: RepositoryUrl | None = None
    lifecycle: Lifecycle = "experimental"
    tier: Tier | None = None
    tags: Tags = Field(default_factory=list)
    owner_id: OwnerId | None = Field(None, description="Admins only (a developer may name only themselves); "
                                                       "must be an existing user.")


UPDATE_SERVICE_EXAMPLES = [{"description": "Takes card and wallet payments", "tier": 2, "version": 1},
                           {"lifecycle": "deprecated", "repository_url": None, "tags": []}]


def _no_defaults(schema: dict) -> None:
    # A partial update: a missing field means "unchanged", not a default value.
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)
    schema["examples"] = UPDATE_SERVICE_EXAMPLES


class UpdateService(RequestModel):
    """Only the fields sent change; ``repository_url`` and ``tier`` may be set to null to clear them."""

    model_config = ConfigDict(json_schema_extra=_no_defaults)

    # MISSING: not sent (so unchanged); only the fields that may be cleared accept null.
    name: ServiceName | MISSING = MISSING
    description: Description | MISSING = MISSING
    repository_url: RepositoryUrl | None | MISSING = MISSING
    lifecycle: Lifecycle | MISSING = MISSING
    tier: Tier | None | MISSING = MISSING
    tags: Tags | MISSING = MISSING
    owner_id: OwnerId | MISSING = Field(MISSING, description="Admins only.")
    version: int | MISSING = Field(MISSING, description="The version you read; a different current version is a 409.")


ServicePage = Page[Service]
