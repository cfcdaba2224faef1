"""/services: the service catalog. Anyone signed in reads; developers create and manage the
services they own; admins manage all. The bodies and answers are pydantic models in
chalicelib.api.models.services, named here as strings so that a read imports no pydantic."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.query import ID, Choice, ListQuery, Text, param
from chalicelib.api.routing import DEVELOPER, VIEWER, route
from chalicelib.domain import services
from chalicelib.domain.caller import Caller

if TYPE_CHECKING:
    from chalicelib.api.models.services import CreateService, UpdateService

bp = Blueprint(__name__)

NAME_PATTERN = r"^[a-z][a-z0-9-]{1,62}$"
MAX_TAGS = 20
MAX_TAG_CHARS = 64
MAX_DESCRIPTION_CHARS = 2000
MAX_URL_CHARS = 2048
MODELS = "chalicelib.api.models.services"


@dataclass(frozen=True, kw_only=True)
class ServiceQuery(ListQuery):
    owner_id: str | None = param(ID, description="Only services owned by this user.")
    lifecycle: str | None = param(Choice(services.LIFECYCLES), description="Only services in this lifecycle.")
    tag: str | None = param(Text(max_length=MAX_TAG_CHARS), description="Only services carrying this tag (one tag, "
                                                                          "exact match).")
    name: str | None = param(Text(pattern=NAME_PATTERN), description="The service with exactly this name: a page of 0 "
                                                                       "or 1 item, never a cursor.")


@route(bp, "/services", "GET", access=VIEWER, summary="List services, newest first", query=ServiceQuery,
       response=f"{MODELS}:ServicePage", errors=(400, 401, 403),
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
       "any user)", body=f"{MODELS}:CreateService", response=f"{MODELS}:Service", status=201,
       headers={201: {"Location": "The new service: /services/{id}."}}, errors=(400, 401, 403, 409, 413),
       description="The name is unique across the platform (409). A developer passing another `owner_id` gets 403; "
                   "an admin's `owner_id` must name an existing user (400).")
def create_service(caller: Caller, body: CreateService):
    service = services.create_service(caller, body.name, description=body.description,
                                      repository_url=body.repository_url, lifecycle=body.lifecycle, tier=body.tier,
                                      tags=body.tags, owner_id=body.owner_id)
    return http.respond(service, 201, {"Location": f"/services/{service['id']}"})


@route(bp, "/services/{service_id}", "GET", access=VIEWER, summary="Get a service", response=f"{MODELS}:Service",
       errors=(401, 403, 404))
def get_service(service_id: str):
    return http.respond(services.get_service(service_id))


@route(bp, "/services/{service_id}", "PATCH", access=DEVELOPER, summary="Update a service (owner or admin)",
       body=f"{MODELS}:UpdateService", response=f"{MODELS}:Service", errors=(400, 401, 403, 404, 409, 413), owner="service_id",
       description="Partial update. Changing `owner_id` is for admins only. A stale `version`, or a name another "
                   "service has, is a 409 and nothing changes.")
def update_service(caller: Caller, service_id: str, body: UpdateService):
    fields = {name: getattr(body, name) for name in body.model_fields_set if name != "version"}
    version = body.version if isinstance(body.version, int) else None  # else MISSING: not sent
    return http.respond(services.update_service(caller, service_id, version=version, **fields))


@route(bp, "/services/{service_id}", "DELETE", access=DEVELOPER, summary="Delete a service (owner or admin)",
       status=204, errors=(401, 403, 404, 409), owner="service_id",
       description="409 while a deployment of the service is active. Its deployments, logs and audit entries stay "
                   "readable; its name becomes free.")
def delete_service(caller: Caller, service_id: str):
    services.delete_service(caller, service_id)
    return http.no_content()
