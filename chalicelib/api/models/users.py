"""The pydantic models of /users (and /auth/me's answer): the bodies its writes read and the
answers its routes document, imported on the first write or when the document is built (see
chalicelib.api.models.services)."""
from __future__ import annotations

from pydantic import ConfigDict

from chalicelib.api.schemas import Email, Name, Page, Password, RequestModel, ResponseModel, Role


class User(ResponseModel):
    id: str
    email: str
    name: str
    role: Role
    disabled: bool
    created_at: str
    updated_at: str
    version: int


class CreateUser(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "dev@example.com", "name": "Dana Developer",
                                                               "password": "a-long-passphrase", "role": "developer"}]})

    email: Email
    name: Name
    password: Password
    role: Role


class UpdateUser(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "viewer", "version": 1},
                                                              {"disabled": True}]})

    name: Name | None = None
    role: Role | None = None
    disabled: bool | None = None
    version: int | None = None


UserPage = Page[User]
