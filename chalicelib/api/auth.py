"""/auth: sign in, who am I, change my password."""
from __future__ import annotations

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import http
from chalicelib.api.query import SERVER_VALIDATED
from chalicelib.api.routing import PUBLIC, VIEWER, route
from chalicelib.api.schemas import Password, RequestModel, ResponseModel
from chalicelib.api.users import User
from chalicelib.domain import auth, users
from chalicelib.domain.caller import Caller

bp = Blueprint(__name__)


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


@route(bp, "/auth/login", "POST", access=PUBLIC, summary="Sign in with email and password", body=Login,
       response=Token, errors=(400, 401, 413, 429), headers={429: {"Retry-After": "Seconds until the next try."}})
def login(caller: Caller, body: Login):
    return http.respond(auth.login(body.email, body.password, caller))


@route(bp, "/auth/me", "GET", access=VIEWER, summary="The signed-in user", response=User, errors=(401, 403))
def me(caller: Caller):
    return http.respond(users.get_user(caller, caller.user_id))


@route(bp, "/auth/password", "POST", access=VIEWER, summary="Change your password (ends your other tokens)",
       body=ChangePassword, status=204, errors=(400, 401, 403, 413))
def change_password(caller: Caller, body: ChangePassword):
    auth.change_password(caller, body.current_password, body.new_password)
    return http.no_content()

