"""/audit: who changed what. The answer's pydantic models are in chalicelib.api.models.audit, named
as strings so that the read imports no pydantic."""
from __future__ import annotations

from dataclasses import dataclass

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.query import TIMESTAMP, Choice, ListQuery, Text, param
from chalicelib.api.routing import VIEWER, route
from chalicelib.domain import audit
from chalicelib.domain.caller import Caller

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.audit"

@dataclass(frozen=True, kw_only=True)
class AuditQuery(ListQuery):
    actor_id: str | None = param(Text(max_length=64), description="Entries made by this user (non-admins: only "
                                                                  "their own id; another is a 403).")
    action: str | None = param(Choice(audit.ACTIONS), description="Entries of this action.")
    resource_type: str | None = param(Choice(audit.RESOURCE_TYPES), description="Entries about this kind of resource.")
    resource_id: str | None = param(Text(max_length=128), description="Entries about this resource (a flag: its key).")
    since: str | None = param(TIMESTAMP, description="Entries at or after this instant.",
                              server_validated="must not be after `until`")
    until: str | None = param(TIMESTAMP, description="Entries at or before this instant.")


@route(bp, "/audit", "GET", access=VIEWER, summary="Audit entries, newest first (non-admins: only their own)",
       query=AuditQuery, response=f"{MODELS}:AuditPage", errors=(400, 401, 403),
       description="Filters combine (all must hold). The most selective one given is served by its index "
                   "(`resource_id`, else `actor_id`, else `action`, else `resource_type`), `since`/`until` by the "
                   "index's time order, and the rest filter it. A filtered page is full (`limit` items) whenever "
                   "that many match further on: it reads on until then, at most "
                   f"{audit.FILTERED_READ_LIMIT} entries per request, and only when that bound is hit is a page "
                   "short (or empty) with a `next_cursor` to continue from.")
def list_audit(caller: Caller, query: AuditQuery):
    filters = audit.AuditFilter(actor_id=query.actor_id, action=query.action, resource_type=query.resource_type,
                                resource_id=query.resource_id, since=query.since, until=query.until)
    return http.respond(audit.list_entries(caller, filters, query.limit, query.cursor))
