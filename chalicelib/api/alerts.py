"""/alerts: what the alert rules found, and acknowledging it (the job that runs the rules is in
``chalicelib.api.alert_job``). The answers' pydantic model is in chalicelib.api.models.alerts,
named as a string so that the read imports no pydantic."""
from __future__ import annotations

from dataclasses import dataclass

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.query import Choice, ListQuery, param
from chalicelib.api.routing import DEVELOPER, VIEWER, route
from chalicelib.domain import alerts
from chalicelib.domain.caller import Caller

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.alerts"


@dataclass(frozen=True, kw_only=True)
class AlertsQuery(ListQuery):
    status: str | None = param(Choice(("open", "resolved")), description="Only open or only resolved alerts.")


@route(bp, "/alerts", "GET", access=VIEWER, summary="Alerts, newest first", query=AlertsQuery,
       response=f"{MODELS}:AlertPage", errors=(400, 401, 403))
def list_alerts(query: AlertsQuery):
    return http.respond(alerts.list_alerts(query.status, query.limit, query.cursor))


@route(bp, "/alerts/{alert_id}/ack", "POST", access=DEVELOPER, summary="Acknowledge an alert",
       response=f"{MODELS}:Alert", errors=(401, 403, 404, 409),
       description="Records who acknowledged it (audited as `alert.ack`). Acknowledging again changes nothing.")
def acknowledge_alert(caller: Caller, alert_id: str):
    return http.respond(alerts.acknowledge(caller, alert_id))

