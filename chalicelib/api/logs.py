"""/services/{id}/logs: a service's log lines, newest first. The answer's pydantic model is in
chalicelib.api.models.logs, named as a string so that the read imports no pydantic."""
from __future__ import annotations

from dataclasses import dataclass

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.query import ID, TIMESTAMP, Choice, ListQuery, param
from chalicelib.api.routing import VIEWER, route
from chalicelib.domain import logs

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.logs"


@dataclass(frozen=True, kw_only=True)
class LogQuery(ListQuery):
    level: str | None = param(Choice(logs.LEVELS), description="Only lines of exactly this level.")
    deployment_id: str | None = param(ID, description="Only lines of this deployment.")
    since: str | None = param(TIMESTAMP, description="Only lines at or after this time.",
                              server_validated="must not be after `until`")
    until: str | None = param(TIMESTAMP, description="Only lines at or before this time.",
                              server_validated="must not be before `since`")


@route(bp, "/services/{service_id}/logs", "GET", access=VIEWER, summary="A service's log lines, newest first",
       query=LogQuery, response=f"{MODELS}:LogPage", errors=(400, 401, 403, 404),
       description="Filters combine (all must hold). A deleted service's lines stay readable until they expire "
                   "(`IDP_LOG_RETENTION_DAYS`); a service that never existed is a 404. With `level`, a page may hold "
                   "fewer than `limit` lines while `next_cursor` still points further. `since` after `until` is a "
                   "400.")
def list_service_logs(service_id: str, query: LogQuery):
    filters = logs.LogFilter(level=query.level, deployment_id=query.deployment_id, since=query.since,
                             until=query.until)
    return http.respond(logs.list_service_logs(service_id, filters, query.limit, query.cursor))
