"""/auth: sign in, who am I, change my password. The bodies and answers are pydantic models in
chalicelib.api.models.auth (and .users), named here as strings so that /auth/me imports no pydantic."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.routing import PUBLIC, VIEWER, route
from chalicelib.domain import auth, users
from chalicelib.domain.caller import Caller

if TYPE_CHECKING:
    from chalicelib.api.models.auth import ChangePassword, Login

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.auth"
USER = "chalicelib.api.models.users:User"


@route(bp, "/auth/login", "POST", access=PUBLIC, summary="Sign in with email and password", body=f"{MODELS}:Login",
       response=f"{MODELS}:Token", errors=(400, 401, 413, 429), headers={429: {"Retry-After": "Seconds until the next try."}})
def login(caller: Caller, body: Login):
    return http.respond(auth.login(body.email, body.password, caller))


@route(bp, "/auth/me", "GET", access=VIEWER, summary="The signed-in user", response=USER, errors=(401, 403))
def me(caller: Caller):
    return http.respond(users.get_user(caller, caller.user_id))


@route(bp, "/auth/password", "POST", access=VIEWER, summary="Change your password (ends your other tokens)",
       body=f"{MODELS}:ChangePassword", status=204, errors=(400, 401, 403, 413))
def change_password(caller: Caller, body: ChangePassword):
    auth.change_password(caller, body.current_password, body.new_password)
    return http.no_content()
