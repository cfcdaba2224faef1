"""/deployments: trigger, list, read, logs, cancel, roll back (and a service's deployments). The
body and answers are pydantic models in chalicelib.api.models.deployments (a log line's in
chalicelib.api.models.logs), named as strings so that a read imports no pydantic."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalice import Blueprint
from chalice.app import Request

from chalicelib.api import http
from chalicelib.api.query import ID, Choice, ListQuery, param
from chalicelib.api.routing import DEVELOPER, VIEWER, route
from chalicelib.core.errors import ValidationFailed
from chalicelib.core.settings import ENVIRONMENTS
from chalicelib.domain import deployments
from chalicelib.domain.caller import Caller

if TYPE_CHECKING:
    from chalicelib.api.models.deployments import TriggerDeployment

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.deployments"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,254}$")


@dataclass(frozen=True, kw_only=True)
class DeploymentQuery(ListQuery):
    service_id: str | None = param(ID, description="Only this service's deployments.")
    status: str | None = param(Choice(deployments.STATUSES), description="Only deployments in this status (at the "
                                                                          "time of reading).")
    environment: str | None = param(Choice(ENVIRONMENTS), description="Only deployments to this environment.")


LOCATION = {"Location": "The new deployment: `/deployments/{id}`."}
ACCEPTED_DESCRIPTION = ("Answers 202 with the deployment in `PENDING` (it runs asynchronously: poll "
                        "`GET /deployments/{id}`). 409 while this service has a `PENDING` or `RUNNING` deployment "
                        "in that environment. 503 if the workflow could not be started: the deployment is then "
                        "`FAILED` with the reason and the environment is free again.")


def _idempotency_key(request: Request) -> str | None:
    raw = request.headers.get("idempotency-key")
    if raw is None:
        return None
    key = raw.strip()
    if not IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed.field("Idempotency-Key", "1 to 255 printable ASCII characters")
    return key


def _lambda_context():
    try:
        return bp.lambda_context
    except (AttributeError, RuntimeError):
        return None


def _accepted(deployment: dict):
    return http.respond(deployment, 202, {"Location": f"/deployments/{deployment['id']}"})


@route(bp, "/deployments", "POST", access=DEVELOPER, summary="Trigger a deployment", body=f"{MODELS}:TriggerDeployment",
       response=f"{MODELS}:Deployment", status=202, errors=(400, 401, 403, 404, 409, 413, 503), headers={202: LOCATION},
       request_headers={"Idempotency-Key": "Optional. A retry with the same key and the same body answers the first "
                                           "response (202, same body) and starts nothing; the same key with a "
                                           "different body is a 409. Keys are per user and kept 24 hours."},
       description=ACCEPTED_DESCRIPTION)
def trigger_deployment(caller: Caller, request: Request, body: TriggerDeployment):
    deployment = deployments.trigger(caller, body.service_id, body.version, body.environment,
                                     idempotency_key=_idempotency_key(request), lambda_context=_lambda_context())
    return _accepted(deployment)


@route(bp, "/deployments", "GET", access=VIEWER, summary="List deployments, newest first", query=DeploymentQuery,
       response=f"{MODELS}:DeploymentPage", errors=(400, 401, 403),
       description="Filtered pages are full: a page holds `limit` items whenever that many match further on. "
                   "Every filter and combination is served from an index, except `status` together with "
                   f"`service_id`: that one reads on through at most {deployments.MAX_EXAMINED} of the service's deployments "
                   "per request, and only when that bound is reached is a page short (or empty) with a "
                   "`next_cursor` to read on from.")
def list_deployments(query: DeploymentQuery):
    return http.respond(deployments.list_deployments(limit=query.limit, cursor=query.cursor,
                                                     service_id=query.service_id, status=query.status,
                                                     environment=query.environment))


@route(bp, "/deployments/{deployment_id}", "GET", access=VIEWER, summary="A deployment, with its steps",
       response=f"{MODELS}:Deployment", errors=(401, 403, 404))
def get_deployment(deployment_id: str):
    return http.respond(deployments.get_deployment(deployment_id))


@route(bp, "/deployments/{deployment_id}/logs", "GET", access=VIEWER, summary="A deployment's log lines, oldest first",
       query=ListQuery, response="chalicelib.api.models.logs:LogPage", errors=(400, 401, 403, 404))
def list_deployment_logs(deployment_id: str, query: ListQuery):
    return http.respond(deployments.list_logs(deployment_id, limit=query.limit, cursor=query.cursor))


@route(bp, "/deployments/{deployment_id}/cancel", "POST", access=DEVELOPER, summary="Cancel a PENDING or RUNNING "
       "deployment", response=f"{MODELS}:Deployment", errors=(400, 401, 403, 404, 409, 413), empty_body=True,
       description="The deployment becomes `CANCELLED`, every step not yet `succeeded` becomes `skipped`, the "
                   "service's health is unchanged and the environment is free again. 409 once it has finished.")
def cancel_deployment(caller: Caller, deployment_id: str):
    return http.respond(deployments.cancel(caller, deployment_id))


@route(bp, "/deployments/{deployment_id}/rollback", "POST", access=DEVELOPER,
       summary="Redeploy the newest earlier SUCCESS version", response=f"{MODELS}:Deployment", status=202,
       errors=(400, 401, 403, 404, 409, 413, 503), headers={202: LOCATION}, empty_body=True,
       description="Starts a new deployment (with `rollback_of` set to this one) of the newest `SUCCESS` "
                   "deployment of the same service and environment created before this one whose version differs "
                   "from this one's; 409 when there is none. " + ACCEPTED_DESCRIPTION)
def rollback_deployment(caller: Caller, deployment_id: str):
    return _accepted(deployments.rollback(caller, deployment_id))


@route(bp, "/services/{service_id}/deployments", "GET", access=VIEWER, summary="A service's deployments, newest first",
       query=ListQuery, response=f"{MODELS}:DeploymentPage", errors=(400, 401, 403, 404),
       description="A deleted service's deployments stay listed; 404 for a service that never existed.")
def list_service_deployments(service_id: str, query: ListQuery):
    return http.respond(deployments.list_for_service(service_id, limit=query.limit, cursor=query.cursor))
