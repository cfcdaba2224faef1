"""What every phase shares: the configuration, the results being collected, and the facts about
the machine and the commit that go with them."""
from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "scripts", ROOT):  # the app and the scripts' modules (devstack) import from here
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "bench-admin-password"


@dataclass
class Config:
    cold_runs: int = 10  # per side, alternated
    latency_requests: int = 1000  # per route
    memory_requests: int = 2000
    scale_sizes: tuple[int, int] = (100, 10_000)
    deploy_runs: int = 3
    deploy_scale: float = 1.0  # IDP_STEP_TIME_SCALE: 1 = the seed's durations
    flag_users: int = 100_000  # evaluations per evaluator per round
    flag_rounds: int = 7
    bulk_flags: int = 100  # flags in the table for the bulk evaluation routes
    ofrep_requests: int = 2000  # per route and round
    ofrep_rounds: int = 5
    ofrep_bulk_flags: int = 200  # flags in the table for the bulk OFREP figure

    @classmethod
    def tiny(cls) -> Config:
        # Step time scale 0.5: the first step still waits a whole second, which the cancel recipe needs.
        return cls(cold_runs=1, latency_requests=10, memory_requests=40, scale_sizes=(30, 60), deploy_runs=1,
                   deploy_scale=0.5, flag_users=2_000, flag_rounds=3, bulk_flags=10, ofrep_requests=20,
                   ofrep_rounds=2, ofrep_bulk_flags=20)


@dataclass
class Results:
    figures: dict = field(default_factory=dict)
    missing: list = field(default_factory=list)

    def put(self, name: str, value) -> None:
        self.figures[name] = value

    def fail(self, name: str, reason: str) -> None:
        self.missing.append({"figure": name, "reason": reason})


def median(values) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def machine() -> dict:
    cpu = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": cpu, "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def commit() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"sha": git("rev-parse", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain", "--", "app.py", "chalicelib", "scripts", "bench/*.py",
                              "bench/phases", "state_machines", "infrastructure", "requirements.txt"))}
