"""The documented body of /health (``chalicelib.api.health`` names it without importing it)."""
from __future__ import annotations

from typing import Literal

from chalicelib.api.schemas import ResponseModel


class Health(ResponseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, str]
