"""/health: does every dependency answer?"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.routing import PUBLIC, route
from chalicelib.domain import health

bp = Blueprint(__name__)

# Its documentation model is named, not imported: a cold start's GET /health imports no pydantic.
HEALTH = "chalicelib.api.health_document:Health"


@route(bp, "/health", "GET", access=PUBLIC, summary="Liveness of the API and its dependencies", response=HEALTH,
       responses={503: HEALTH}, description="200 when every check is ok. 503 when a dependency is down, with this same body: "
                   "`status` `degraded` and the failing check named with its reason, e.g. "
                   "`{\"dynamodb\": \"unavailable (EndpointConnectionError)\"}`.")
def get_health():
    report = health.check()
    return http.respond(report, 200 if report["status"] == "ok" else 503)
