"""The pydantic models of /metrics/summary's answer, imported only when the document or a test
reads them (see chalicelib.api.models.services)."""
from __future__ import annotations

from pydantic import ConfigDict, Field

from chalicelib.api.schemas import ResponseModel


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
