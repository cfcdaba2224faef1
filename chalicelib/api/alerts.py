"""/alerts: what the alert rules found, and acknowledging it (the job that runs the rules is in
``chalicelib.api.alert_job``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import http
from chalicelib.api.query import Choice, ListQuery, param
from chalicelib.api.routing import DEVELOPER, VIEWER, route
from chalicelib.api.schemas import Page, ResponseModel
from chalicelib.domain import alerts
from chalicelib.domain.caller import Caller

bp = Blueprint(__name__)


class Alert(ResponseModel):
    id: str
    rule: Literal["deployment_failure_rate", "service_registered"]
    subject: str = Field(description="What the alert is about: `all`, or the service id for `service_registered`.")
    severity: Literal["critical", "info"]
    status: Literal["open", "resolved"]
    message: str
    opened_at: str
    resolved_at: str | None
    acked_by: str | None = Field(description="Id of the user who acknowledged it, or null.")
    acked_at: str | None
    version: int


@dataclass(frozen=True, kw_only=True)
class AlertsQuery(ListQuery):
    status: str | None = param(Choice(("open", "resolved")), description="Only open or only resolved alerts.")


@route(bp, "/alerts", "GET", access=VIEWER, summary="Alerts, newest first", query=AlertsQuery, response=Page[Alert],
       errors=(400, 401, 403))
def list_alerts(query: AlertsQuery):
    return http.respond(alerts.list_alerts(query.status, query.limit, query.cursor))


@route(bp, "/alerts/{alert_id}/ack", "POST", access=DEVELOPER, summary="Acknowledge an alert", response=Alert,
       errors=(401, 403, 404, 409),
       description="Records who acknowledged it (audited as `alert.ack`). Acknowledging again changes nothing.")
def acknowledge_alert(caller: Caller, alert_id: str):
    return http.respond(alerts.acknowledge(caller, alert_id))

