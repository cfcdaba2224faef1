"""/metrics/summary: platform activity per day, from the day counters (no Scan)."""
from __future__ import annotations

from dataclasses import dataclass

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import http
from chalicelib.api.query import Integer, QueryParams, param
from chalicelib.api.routing import VIEWER, route
from chalicelib.api.schemas import ResponseModel
from chalicelib.domain import metrics

bp = Blueprint(__name__)


@dataclass(frozen=True, kw_only=True)
class SummaryQuery(QueryParams):
    days: int = param(Integer(ge=1, le=metrics.MAX_DAYS), default=7,
                      description="How many UTC days, today included (1 to 90).")


class DeploymentCounts(ResponseModel):
    success: int = Field(description="Deployments that finished SUCCESS.")
    failed: int = Field(description="Deployments that finished FAILED.")
    cancelled: int = Field(description="Deployments that were CANCELLED.")
    triggered: int = Field(description="Deployments started (POST /deployments, rollbacks).")


class LoginCounts(ResponseModel):
    succeeded: int
    failed: int


class Numbers(ResponseModel):
    deployments: DeploymentCounts
    services_registered: int
    flags_created: int
    flags_changed: int
    logins: LoginCounts


class Day(Numbers):
    date: str = Field(description="UTC day, YYYY-MM-DD.", json_schema_extra={"format": "date"})


class Summary(ResponseModel):
    """Counts per UTC day, oldest first, over ``days`` days ending today (deployments are counted on
    the day they finished; triggers on the day they started)."""

    model_config = ConfigDict(populate_by_name=True)

    days: int
    from_: str = Field(alias="from", description="First day of the window (YYYY-MM-DD).")
    to: str = Field(description="Last day of the window: today, UTC.")
    daily: list[Day]
    totals: Numbers
    success_rate: float | None = Field(
        description="success / (success + failed) over the window, 0 to 1; null when no deployment finished.")


@route(bp, "/metrics/summary", "GET", access=VIEWER, summary="Activity per day: deployments, services, flags, logins",
       query=SummaryQuery, response=Summary, errors=(400, 401, 403),
       description="Read from one day counter item per day (one BatchGetItem), never a Scan.")
def metrics_summary(query: SummaryQuery):
    return http.respond(metrics.summary(query.days))
