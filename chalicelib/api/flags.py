"""/flags: feature flag management and evaluation (flags are addressed by key). The bodies and
answers are pydantic models in chalicelib.api.models.flags, named as strings so that a read (and
evaluating one flag) imports no pydantic."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.query import Choice, ListQuery, QueryParams, Text, param
from chalicelib.api.routing import ADMIN, DEVELOPER, VIEWER, route
from chalicelib.core.errors import NotFound
from chalicelib.core.settings import ENVIRONMENTS
from chalicelib.domain import flags, metrics
from chalicelib.domain.caller import Caller

if TYPE_CHECKING:
    from chalicelib.api.models.flags import BulkEvaluate, CreateFlag, UpdateFlag

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.flags"

MAX_USER_ID_CHARS = 256
# Optional in the schema, which cannot say that it depends on the kind of credential.
ENVIRONMENT_RULE = "required with a user token (an SDK key supplies its own)"


@dataclass(frozen=True, kw_only=True)
class EvaluateQuery(QueryParams):
    environment: str | None = param(Choice(ENVIRONMENTS), description="Required with a user token; an SDK key uses "
                                                                      "its own (naming another one is 403).",
                                    server_validated=ENVIRONMENT_RULE)
    user_id: str = param(Text(max_length=MAX_USER_ID_CHARS), required=True,
                         description="The user the flag is evaluated for (their stable bucket).")


def path_key(key: str) -> str:
    """Flags are addressed by key; a path segment that cannot be a key names no flag."""
    if not flags.is_valid_key(key):
        raise NotFound(f"flag {key[:128]!r} not found")
    return key


FLAG_PATH = {"key": path_key}


@route(bp, "/flags", "GET", access=VIEWER, summary="List flags, newest first", query=ListQuery, response=f"{MODELS}:FlagPage",
       errors=(400, 401, 403))
def list_flags(query: ListQuery):
    return http.respond(flags.list_flags(query.limit, query.cursor))


@route(bp, "/flags", "POST", access=DEVELOPER, summary="Create a flag", body=f"{MODELS}:CreateFlag",
       response=f"{MODELS}:Flag", status=201, errors=(400, 401, 403, 409, 413),
       headers={201: {"Location": "The new flag, /flags/{key}."}})
def create_flag(caller: Caller, body: CreateFlag):
    flag = flags.create_flag(caller, body.key, description=body.description, enabled=body.enabled,
                             environments=body.environments, rollout_percentage=body.rollout_percentage)
    return http.respond(flag, 201, {"Location": f"/flags/{flag['key']}"})


@route(bp, "/flags/evaluate", "POST", access=VIEWER, sdk_key=True, summary="Evaluate several flags (or all) for a user",
       body=f"{MODELS}:BulkEvaluate", response=f"{MODELS}:BulkEvaluation", errors=(400, 401, 403, 413))
def evaluate_flags(caller: Caller, body: BulkEvaluate):
    evaluated = flags.evaluate_flags(caller, body.environment, body.user_id, body.keys)
    if evaluated["flags"]:
        metrics.count(metrics.FLAG_EVALUATED, len(evaluated["flags"]))
    return http.respond(evaluated)


@route(bp, "/flags/{key}", "GET", access=VIEWER, summary="Get a flag", response=f"{MODELS}:Flag", errors=(401, 403, 404),
       path_params=FLAG_PATH)
def get_flag(key: str):
    return http.respond(flags.get_flag(key))


@route(bp, "/flags/{key}", "PATCH", access=DEVELOPER, summary="Update a flag", body=f"{MODELS}:UpdateFlag",
       response=f"{MODELS}:Flag", errors=(400, 401, 403, 404, 409, 413), path_params=FLAG_PATH)
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
       query=EvaluateQuery, response=f"{MODELS}:FlagEvaluation", errors=(400, 401, 403, 404), path_params=FLAG_PATH,
       description="Rules in order: disabled → `FLAG_DISABLED`; environment not listed → `ENVIRONMENT_NOT_TARGETED`; "
                   "bucket ≥ rollout → `OUTSIDE_ROLLOUT`; otherwise `ALL_CONDITIONS_MET`. The bucket is "
                   "SHA-256(\"<key>:<user_id>\"), first 8 bytes big-endian, mod 100.")
def evaluate_flag(caller: Caller, key: str, query: EvaluateQuery):
    evaluated = flags.evaluate_flag(caller, key, query.environment, query.user_id)
    metrics.count(metrics.FLAG_EVALUATED)  # per request, in the handler, as OFREP's routes count
    return http.respond(evaluated)
