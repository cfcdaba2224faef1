"""The pydantic models of /audit's answer, imported only when the document or a test reads them
(see chalicelib.api.models.services)."""
from __future__ import annotations

from pydantic import Field

from chalicelib.api.schemas import Page, ResponseModel


class Change(ResponseModel):
    from_: object = Field(alias="from")
    to: object


class AuditEntry(ResponseModel):
    id: str
    timestamp: str
    actor_id: str | None
    actor_email: str | None
    action: str
    resource_type: str
    resource_id: str | None
    changes: dict[str, Change]
    request_id: str | None
    source_ip: str | None


AuditPage = Page[AuditEntry]
