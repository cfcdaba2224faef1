"""Health checks: one cheap call per dependency, each with a short timeout."""
from __future__ import annotations

from chalicelib.storage import health as probes


def check() -> dict:
    checks = probes.run_all()
    status = "ok" if all(result == "ok" for result in checks.values()) else "degraded"
    return {"status": status, "checks": checks}
