"""/sdk-keys: admins issue and revoke the keys applications use to evaluate flags."""
from __future__ import annotations

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import http
from chalicelib.api.routing import ADMIN, route
from chalicelib.api.schemas import Environment, ListQuery, Name, Page, RequestModel, ResponseModel
from chalicelib.domain import sdk_keys

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
def list_sdk_keys():
    params = http.query(bp.current_request, ListQuery)
    return http.respond(sdk_keys.list_keys(params.limit, params.cursor))


@route(bp, "/sdk-keys", "POST", access=ADMIN, summary="Create an SDK key for one environment", body=CreateSdkKey,
       response=NewSdkKey, status=201, errors=(400, 401, 403, 413))
def create_sdk_key():
    request = bp.current_request
    body = http.json_body(request, CreateSdkKey)
    return http.respond(sdk_keys.create_key(http.caller(request), body.name, body.environment), 201)


@route(bp, "/sdk-keys/{key_id}", "DELETE", access=ADMIN, summary="Revoke (delete) an SDK key", status=204,
       errors=(401, 403, 404))
def delete_sdk_key(key_id):
    request = bp.current_request
    sdk_keys.delete_key(http.caller(request), http.path_id(key_id, "SDK key"))
    return http.no_content()
