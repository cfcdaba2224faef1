"""The pydantic model of a log line, as both a service's and a deployment's logs list it, imported
only when the document or a test reads it (see chalicelib.api.models.services)."""
from __future__ import annotations

from typing import Any, Literal

from chalicelib.api.schemas import Page, ResponseModel
from chalicelib.domain import logs

Level = Literal[logs.LEVELS]  # type: ignore[valid-type]


class LogLine(ResponseModel):
    id: str
    service_id: str
    deployment_id: str | None
    timestamp: str
    level: Level
    message: str
    metadata: dict[str, Any]


LogPage = Page[LogLine]
