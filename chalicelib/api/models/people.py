"""The pydantic model of /people's answer, imported only when the document or a test reads it
(see chalicelib.api.models.services)."""
from __future__ import annotations

from pydantic import Field

from chalicelib.api.schemas import Page, ResponseModel


class Person(ResponseModel):
    id: str = Field(json_schema_extra={"format": "uuid"})
    name: str
    email: str


PersonPage = Page[Person]
