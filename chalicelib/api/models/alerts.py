"""The pydantic model of an alert, imported only when the document or a test reads it (see
chalicelib.api.models.services)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.schemas import Page, ResponseModel


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


AlertPage = Page[Alert]
