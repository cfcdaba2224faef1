"""/sdk-keys: admins issue and revoke the keys applications use to evaluate flags."""
from __future__ import annotations

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import http
from chalicelib.api.query import ListQuery
from chalicelib.api.routing import ADMIN, route
from chalicelib.api.schemas import Environment, Name, Page, RequestModel, ResponseModel
from chalicelib.domain import sdk_keys
from chalicelib.domain.caller import Caller

bp = Blueprint(__name__)


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


@route(bp, "/sdk-keys", "GET", access=ADMIN, summary="List SDK keys (never the secret)", query=ListQuery,
       response=Page[SdkKey], errors=(400, 401, 403))
def list_sdk_keys(query: ListQuery):
    return http.respond(sdk_keys.list_keys(query.limit, query.cursor))


@route(bp, "/sdk-keys", "POST", access=ADMIN, summary="Create an SDK key for one environment", body=CreateSdkKey,
       response=NewSdkKey, status=201, errors=(400, 401, 403, 413))
def create_sdk_key(caller: Caller, body: CreateSdkKey):
    return http.respond(sdk_keys.create_key(caller, body.name, body.environment), 201)


@route(bp, "/sdk-keys/{key_id}", "DELETE", access=ADMIN, summary="Revoke (delete) an SDK key", status=204,
       errors=(401, 403, 404), path_params={"key_id": http.path_id("SDK key")})
def delete_sdk_key(caller: Caller, key_id: str):
    sdk_keys.delete_key(caller, key_id)
    return http.no_content()
