"""/metrics/summary: platform activity per day, from the day counters (no Scan). The answer's
pydantic models are in chalicelib.api.models.metrics, named as strings so that the read imports no
pydantic."""
from __future__ import annotations

from dataclasses import dataclass

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.query import Integer, QueryParams, param
from chalicelib.api.routing import VIEWER, route
from chalicelib.domain import metrics

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.metrics"


@dataclass(frozen=True, kw_only=True)
class SummaryQuery(QueryParams):
    days: int = param(Integer(ge=1, le=metrics.MAX_DAYS), default=7,
                      description="How many UTC days, today included (1 to 90).")


@route(bp, "/metrics/summary", "GET", access=VIEWER, summary="Activity per day: deployments, services, flags, logins",
       query=SummaryQuery, response=f"{MODELS}:Summary", errors=(400, 401, 403),
       description="Read from one day counter item per day (one BatchGetItem), never a Scan.")
def metrics_summary(query: SummaryQuery):
    return http.respond(metrics.summary(query.days))
