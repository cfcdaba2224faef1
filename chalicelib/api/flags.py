"""/flags: feature flag management and evaluation (flags are addressed by key)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.api import http
from chalicelib.api.query import SERVER_VALIDATED, Choice, ListQuery, QueryParams, Text, param
from chalicelib.api.routing import ADMIN, DEVELOPER, VIEWER, route
from chalicelib.api.schemas import Environment, Page, RequestModel, ResponseModel
from chalicelib.core.errors import NotFound
from chalicelib.core.settings import ENVIRONMENTS
from chalicelib.domain import evaluation, flags, metrics
from chalicelib.domain.caller import Caller

bp = Blueprint(__name__)

FlagKey = Annotated[str, StringConstraints(pattern=flags.KEY_PATTERN),
                    Field(description=f"`{flags.KEY_PATTERN}`; `evaluate` is reserved.")]
Description = Annotated[str, StringConstraints(max_length=1000)]
Percentage = Annotated[int, Field(ge=0, le=100, description="Share of users (by stable bucket) who get the flag.")]
Environments = Annotated[list[Environment], Field(
    max_length=10, description="Environments the flag is on in; `[]` means every environment. Stored without "
                               "duplicates in the order development, staging, production.")]
MAX_USER_ID_CHARS = 256
UserId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_USER_ID_CHARS)]
Reason = Literal[evaluation.REASONS]  # type: ignore[valid-type]
# Optional in the schema, which cannot say that it depends on the kind of credential.
ENVIRONMENT_RULE = "required with a user token (an SDK key supplies its own)"


class Flag(ResponseModel):
    key: str
    description: str
    enabled: bool
    environments: list[Environment]
    rollout_percentage: int
    created_by: str | None
    created_at: str
    updated_at: str
    version: int


class CreateFlag(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"key": "new-checkout", "description": "The redesigned checkout", "enabled": True,
         "environments": ["staging"], "rollout_percentage": 25},
        {"key": "dark_mode"}]})

    key: FlagKey
    description: Description = ""
    enabled: bool = False
    environments: Environments = Field(default_factory=list)
    rollout_percentage: Percentage = 100


class UpdateFlag(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"enabled": True, "rollout_percentage": 50, "version": 1},
        {"environments": ["development", "staging"], "description": "Only before production"}]})

    description: Description | None = None
    enabled: bool | None = None
    environments: Environments | None = None
    rollout_percentage: Percentage | None = None
    version: int | None = Field(None, ge=1, description="The version you read; a mismatch is 409.")


@dataclass(frozen=True, kw_only=True)
class EvaluateQuery(QueryParams):
    environment: str | None = param(Choice(ENVIRONMENTS), description="Required with a user token; an SDK key uses "
                                                                      "its own (naming another one is 403).",
                                    server_validated=ENVIRONMENT_RULE)
    user_id: str = param(Text(max_length=MAX_USER_ID_CHARS), required=True,
                         description="The user the flag is evaluated for (their stable bucket).")


class BulkEvaluate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"environment": "production", "user_id": "user-42", "keys": ["new-checkout", "dark_mode"]},
        {"environment": "staging", "user_id": "user-42"}]})

    environment: Environment | None = Field(
        None, description="Required with a user token; an SDK key uses its own (naming another one is 403).",
        json_schema_extra={SERVER_VALIDATED: ENVIRONMENT_RULE})
    user_id: UserId
    keys: list[Annotated[str, StringConstraints(min_length=1, max_length=256)]] | None = Field(
        None, max_length=1000, description="Flags to evaluate; every flag when absent.")


class EvaluationResult(ResponseModel):
    enabled: bool
    reason: Reason
    message: str


class FlagEvaluation(EvaluationResult):
    key: str


class BulkEvaluation(ResponseModel):
    flags: dict[str, EvaluationResult]
    not_found: list[str] = Field(description="Requested keys that name no flag.")


def path_key(key: str) -> str:
    """Flags are addressed by key; a path segment that cannot be a key names no flag."""
    if not flags.is_valid_key(key):
        raise NotFound(f"flag {key[:128]!r} not found")
    return key


FLAG_PATH = {"key": path_key}


@route(bp, "/flags", "GET", access=VIEWER, summary="List flags, newest first", query=ListQuery, response=Page[Flag],
       errors=(400, 401, 403))
def list_flags(query: ListQuery):
    return http.respond(flags.list_flags(query.limit, query.cursor))


@route(bp, "/flags", "POST", access=DEVELOPER, summary="Create a flag", body=CreateFlag, response=Flag, status=201,
       errors=(400, 401, 403, 409, 413), headers={201: {"Location": "The new flag, /flags/{key}."}})
def create_flag(caller: Caller, body: CreateFlag):
    flag = flags.create_flag(caller, body.key, description=body.description, enabled=body.enabled,
                             environments=body.environments, rollout_percentage=body.rollout_percentage)
    return http.respond(flag, 201, {"Location": f"/flags/{flag['key']}"})


@route(bp, "/flags/evaluate", "POST", access=VIEWER, sdk_key=True, summary="Evaluate several flags (or all) for a user",
       body=BulkEvaluate, response=BulkEvaluation, errors=(400, 401, 403, 413))
def evaluate_flags(caller: Caller, body: BulkEvaluate):
    evaluated = flags.evaluate_flags(caller, body.environment, body.user_id, body.keys)
    if evaluated["flags"]:
        metrics.count(metrics.FLAG_EVALUATED, len(evaluated["flags"]))
    return http.respond(evaluated)


@route(bp, "/flags/{key}", "GET", access=VIEWER, summary="Get a flag", response=Flag, errors=(401, 403, 404),
       path_params=FLAG_PATH)
def get_flag(key: str):
    return http.respond(flags.get_flag(key))


@route(bp, "/flags/{key}", "PATCH", access=DEVELOPER, summary="Update a flag", body=UpdateFlag, response=Flag,
       errors=(400, 401, 403, 404, 409, 413), path_params=FLAG_PATH)
def update_flag(caller: Caller, key: str, body: UpdateFlag):
    return http.respond(flags.update_flag(caller, key, description=body.description, enabled=body.enabled,
                                          environments=body.environments, rollout_percentage=body.rollout_percentage,
                                          version=body.version))


@route(bp, "/flags/{key}", "DELETE", access=ADMIN, summary="Delete a flag", status=204, errors=(401, 403, 404, 409),
       path_params=FLAG_PATH)
def delete_flag(caller: Caller, key: str):
    flags.delete_flag(caller, key)
    return http.no_content()


@route(bp, "/flags/{key}/evaluate", "GET", access=VIEWER, sdk_key=True, summary="Evaluate a flag for a user",
       query=EvaluateQuery, response=FlagEvaluation, errors=(400, 401, 403, 404), path_params=FLAG_PATH,
       description="Rules in order: disabled → `FLAG_DISABLED`; environment not listed → `ENVIRONMENT_NOT_TARGETED`; "
                   "bucket ≥ rollout → `OUTSIDE_ROLLOUT`; otherwise `ALL_CONDITIONS_MET`. The bucket is "
                   "SHA-256(\"<key>:<user_id>\"), first 8 bytes big-endian, mod 100.")
def evaluate_flag(caller: Caller, key: str, query: EvaluateQuery):
    evaluated = flags.evaluate_flag(caller, key, query.environment, query.user_id)
    metrics.count(metrics.FLAG_EVALUATED)  # per request, in the handler, as OFREP's routes count
    return http.respond(evaluated)
