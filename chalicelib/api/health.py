"""/health: does every dependency answer?"""
from __future__ import annotations

from typing import Literal

from chalice import Blueprint
from pydantic import BaseModel

from chalicelib.api import http
from chalicelib.api.routing import PUBLIC, route
from chalicelib.domain import health

bp = Blueprint(__name__)


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, str]


@route(bp, "/health", "GET", access=PUBLIC, summary="Liveness of the API and its dependencies", response=Health,
       responses={503: Health}, description="200 when every check is ok; 503 naming the failing checks otherwise.")
def get_health():
    report = health.check()
    return http.respond(report, 200 if report["status"] == "ok" else 503)
