"""The pydantic models of /auth: the bodies of signing in and changing a password, and the token
answer (imported by those writes and the document; /auth/me answers a
chalicelib.api.models.users.User)."""
from __future__ import annotations

from pydantic import ConfigDict, Field

from chalicelib.api.models.users import User
from chalicelib.api.query import SERVER_VALIDATED
from chalicelib.api.schemas import Password, RequestModel, ResponseModel


class Login(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "dana@example.com",
                                                               "password": "correct-horse-battery"}]})

    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class Token(ResponseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    user: User


class ChangePassword(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"current_password": "correct-horse-battery",
                                                               "new_password": "a-longer-passphrase-2"}]})

    current_password: str = Field(min_length=1, max_length=1024,
                                  json_schema_extra={SERVER_VALIDATED: "must be the caller's current password"})
    new_password: Password
