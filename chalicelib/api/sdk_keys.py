"""/sdk-keys: admins issue and revoke the keys applications use to evaluate flags. The body and
answers are pydantic models in chalicelib.api.models.sdk_keys, named as strings so that a read imports
no pydantic."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.query import ListQuery
from chalicelib.api.routing import ADMIN, route
from chalicelib.domain import sdk_keys
from chalicelib.domain.caller import Caller

if TYPE_CHECKING:
    from chalicelib.api.models.sdk_keys import CreateSdkKey

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.sdk_keys"


@route(bp, "/sdk-keys", "GET", access=ADMIN, summary="List SDK keys (never the secret)", query=ListQuery,
       response=f"{MODELS}:SdkKeyPage", errors=(400, 401, 403))
def list_sdk_keys(query: ListQuery):
    return http.respond(sdk_keys.list_keys(query.limit, query.cursor))


@route(bp, "/sdk-keys", "POST", access=ADMIN, summary="Create an SDK key for one environment",
       body=f"{MODELS}:CreateSdkKey", response=f"{MODELS}:NewSdkKey", status=201, errors=(400, 401, 403, 413))
def create_sdk_key(caller: Caller, body: CreateSdkKey):
    return http.respond(sdk_keys.create_key(caller, body.name, body.environment), 201)


@route(bp, "/sdk-keys/{key_id}", "DELETE", access=ADMIN, summary="Revoke (delete) an SDK key", status=204,
       errors=(401, 403, 404), path_params={"key_id": http.path_id("SDK key")})
def delete_sdk_key(caller: Caller, key_id: str):
    sdk_keys.delete_key(caller, key_id)
    return http.no_content()
