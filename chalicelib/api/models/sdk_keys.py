"""The pydantic models of /sdk-keys: the body of issuing a key and the answers its routes
document, imported on the first write or when the document is built (see
chalicelib.api.models.services)."""
from __future__ import annotations

from pydantic import ConfigDict, Field

from chalicelib.api.schemas import Environment, Name, Page, RequestModel, ResponseModel


class SdkKey(ResponseModel):
    id: str
    name: str
    environment: Environment
    key_prefix: str = Field(description="The first characters of the key, to recognise it; never the secret.")
    created_by: str | None
    created_at: str


class NewSdkKey(SdkKey):
    key: str = Field(description="The secret (idp_sk_...). Shown only in this answer; only its hash is stored.")


class CreateSdkKey(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "checkout web app", "environment": "production"}]})

    name: Name
    environment: Environment


SdkKeyPage = Page[SdkKey]
