"""/services: the service catalog. Anyone signed in reads; developers create and manage the
services they own; admins manage all."""
from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from chalice import Blueprint
from pydantic import AfterValidator, ConfigDict, Field, PlainValidator, StringConstraints, WithJsonSchema

from chalicelib.api import http
from chalicelib.api.routing import DEVELOPER, VIEWER, route
from chalicelib.api.schemas import Environment, Id, ListQuery, Page, RequestModel, ResponseModel
from chalicelib.domain import services
from chalicelib.domain.caller import Caller

bp = Blueprint(__name__)

NAME_PATTERN = r"^[a-z][a-z0-9-]{1,62}$"
MAX_TAGS = 20
MAX_TAG_CHARS = 64
MAX_DESCRIPTION_CHARS = 2000
MAX_URL_CHARS = 2048


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

    name: ServiceName = None
    description: Description = None
    repository_url: RepositoryUrl | None = None
    lifecycle: Lifecycle = None
    tier: Tier | None = None
    tags: Tags = None
    owner_id: OwnerId = Field(None, description="Admins only.")
    version: int = Field(None, description="The version you read; a different current version is a 409.")


class ServiceQuery(ListQuery):
    owner_id: Id | None = Field(None, description="Only services owned by this user.")
    lifecycle: Lifecycle | None = Field(None, description="Only services in this lifecycle.")
    tag: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TAG_CHARS)] | None = Field(
        None, description="Only services carrying this tag (one tag, exact match).")
    name: ServiceName | None = Field(None, description="The service with exactly this name: a page of 0 or 1 "
                                                       "item, never a cursor.")


@route(bp, "/services", "GET", access=VIEWER, summary="List services, newest first", query=ServiceQuery,
       response=Page[Service], errors=(400, 401, 403),
       description="Filters combine (all must hold). Each is served from an index key: `name` by the unique-name "
                   "guard, `tag` by the tag index, `owner_id` and `lifecycle` by their own indexes; the first of "
                   "those given serves the page and the others filter it. A filtered page is full (`limit` items) "
                   "whenever that many match further on: it reads on until then, at most "
                   f"{services.FILTERED_READ_LIMIT} services per request, and only when that bound is hit is a page short "
                   "(or empty) with a `next_cursor` to continue from.")
def list_services(query: ServiceQuery):
    return http.respond(services.list_services(query.limit, query.cursor, owner_id=query.owner_id,
                                               lifecycle=query.lifecycle, tag=query.tag, name=query.name))


@route(bp, "/services", "POST", access=DEVELOPER, summary="Register a service (owner: the caller, or for admins "
       "any user)", body=CreateService, response=Service, status=201,
       headers={201: {"Location": "The new service: /services/{id}."}}, errors=(400, 401, 403, 409, 413),
       description="The name is unique across the platform (409). A developer passing another `owner_id` gets 403; "
                   "an admin's `owner_id` must name an existing user (400).")
def create_service(caller: Caller, body: CreateService):
    service = services.create_service(caller, body.name, description=body.description,
                                      repository_url=body.repository_url, lifecycle=body.lifecycle, tier=body.tier,
                                      tags=body.tags, owner_id=body.owner_id)
    return http.respond(service, 201, {"Location": f"/services/{service['id']}"})


@route(bp, "/services/{service_id}", "GET", access=VIEWER, summary="Get a service", response=Service,
       errors=(401, 403, 404))
def get_service(service_id: str):
    return http.respond(services.get_service(service_id))


@route(bp, "/services/{service_id}", "PATCH", access=DEVELOPER, summary="Update a service (owner or admin)",
       body=UpdateService, response=Service, errors=(400, 401, 403, 404, 409, 413), owner="service_id",
       description="Partial update. Changing `owner_id` is for admins only. A stale `version`, or a name another "
                   "service has, is a 409 and nothing changes.")
def update_service(caller: Caller, service_id: str, body: UpdateService):
    fields = {name: getattr(body, name) for name in body.model_fields_set if name != "version"}
    return http.respond(services.update_service(caller, service_id, version=body.version, **fields))


@route(bp, "/services/{service_id}", "DELETE", access=DEVELOPER, summary="Delete a service (owner or admin)",
       status=204, errors=(401, 403, 404, 409), owner="service_id",
       description="409 while a deployment of the service is active. Its deployments, logs and audit entries stay "
                   "readable; its name becomes free.")
def delete_service(caller: Caller, service_id: str):
    services.delete_service(caller, service_id)
    return http.no_content()
