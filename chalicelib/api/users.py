"""/users: admin user management (and reading your own user). The bodies and answers are pydantic
models in chalicelib.api.models.users, named here as strings so that a read imports no pydantic."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.query import ListQuery
from chalicelib.api.routing import ADMIN, VIEWER, route
from chalicelib.domain import users
from chalicelib.domain.caller import Caller

if TYPE_CHECKING:
    from chalicelib.api.models.users import CreateUser, UpdateUser

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.users"


@route(bp, "/users", "GET", access=ADMIN, summary="List users", query=ListQuery, response=f"{MODELS}:UserPage",
       errors=(400, 401, 403))
def list_users(query: ListQuery):
    return http.respond(users.list_users(query.limit, query.cursor))


@route(bp, "/users", "POST", access=ADMIN, summary="Create a user", body=f"{MODELS}:CreateUser",
       response=f"{MODELS}:User", status=201, errors=(400, 401, 403, 409, 413))
def create_user(caller: Caller, body: CreateUser):
    user = users.create_user(caller, body.email, body.name, body.password, body.role)
    return http.respond(user, 201, {"Location": f"/users/{user['id']}"})


@route(bp, "/users/{user_id}", "GET", access=VIEWER, summary="Get a user (admins: any; others: themselves)",
       response=f"{MODELS}:User", errors=(401, 403, 404), path_params={"user_id": str})
def get_user(caller: Caller, user_id: str):
    # The id is read by the domain, after the rule that others' ids are not a non-admin's business:
    # a malformed id is their 403 too, not a 404.
    return http.respond(users.get_user(caller, user_id))


@route(bp, "/users/{user_id}", "PATCH", access=ADMIN, summary="Update a user", body=f"{MODELS}:UpdateUser",
       response=f"{MODELS}:User", errors=(400, 401, 403, 404, 409, 413))
def update_user(caller: Caller, user_id: str, body: UpdateUser):
    return http.respond(users.update_user(caller, user_id, name=body.name, role=body.role,
                                          disabled=body.disabled, version=body.version))


@route(bp, "/users/{user_id}", "DELETE", access=ADMIN, summary="Delete a user", status=204,
       errors=(401, 403, 404, 409))
def delete_user(caller: Caller, user_id: str):
    users.delete_user(caller, user_id)
    return http.no_content()
