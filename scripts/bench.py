"""Benchmarks: what the platform costs per request, as ratios against reference runs in the same
process or the same run (these machines are noisy). Runs on the local emulator (moto server),
prints a table and writes bench/results.json.

    scripts/bench            # the full run (a few minutes)
    scripts/bench --tiny     # every figure on a tiny configuration (what the test runs)

Exits non-zero when any figure cannot be measured: no made-up or default numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

SEED_SECONDS = 14.5


@dataclass
class Config:
    cold_runs: int = 10
    latency_requests: int = 1000
    memory_requests: int = 2000
    scale_sizes: tuple[int, int] = (100, 10_000)
    deploy_runs: int = 3
    deploy_scale: float = 1.0

    @classmethod
    def tiny(cls) -> Config:
        return cls(cold_runs=2, latency_requests=20, memory_requests=40, scale_sizes=(30, 60), deploy_runs=1,
                   deploy_scale=0.0)


@dataclass
class Results:
    figures: dict = field(default_factory=dict)
    missing: list = field(default_factory=list)

    def put(self, name: str, value) -> None:
        self.figures[name] = value

    def fail(self, name: str, reason: str) -> None:
        self.missing.append({"figure": name, "reason": reason})


# ---------------------------------------------------------------- 1. cold start
def cold_start(env: dict, config: Config, results: Results) -> None:
    probe = ROOT / "bench" / "coldstart_probe.py"
    app_runs, bare_runs = [], []
    for _ in range(config.cold_runs):  # alternated, so drift on the machine hits both alike
        for which, bucket in (("bare", bare_runs), ("app", app_runs)):
            out = subprocess.run([sys.executable, str(probe), which, str(ROOT)], env=env, capture_output=True,
                                 text=True, timeout=120)
            if out.returncode != 0:
                results.fail("cold_start", f"{which} probe failed: {out.stderr[-500:]}")
                return
            measured = json.loads(out.stdout.strip().splitlines()[-1])
            if measured["status"] != 200:
                results.fail("cold_start", f"{which} /health answered {measured['status']}")
                return
            bucket.append(measured["total_s"])
    ratios = [a / b for a, b in zip(app_runs, bare_runs, strict=True)]
    results.put("cold_start", {"app_median_s": statistics.median(app_runs), "bare_median_s": statistics.median(bare_runs),
                               "median_ratio": statistics.median(ratios), "runs": config.cold_runs, "target_ratio": 1.3})


# ---------------------------------------------------------------- in-process harness
class Recorder:
    """Counts AWS calls (and their time, and Query ScannedCount) through botocore's one entry point."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.scanned: list[int] = []
        self.aws_seconds = 0.0
        self._original = None

    def __enter__(self) -> Recorder:
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        recorder = self

        def recording(client, operation, params):
            started = time.perf_counter()
            try:
                response = original(client, operation, params)
            finally:
                recorder.aws_seconds += time.perf_counter() - started
            recorder.calls.append((client.meta.service_model.service_name, operation))
            if operation in ("Query", "Scan"):
                recorder.scanned.append(int(response.get("ScannedCount", 0)))
            return response

        BaseClient._make_api_call = recording
        return self

    def __exit__(self, *exc) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original

    def reset(self) -> None:
        self.calls.clear()
        self.scanned.clear()
        self.aws_seconds = 0.0


class Harness:
    """The app in this process (Chalice's test client: the Lambda handler path) against the emulator."""

    def __init__(self) -> None:
        from chalice.test import Client

        from app import app

        self.client = Client(app, stage_name="local")
        self.app = app

    def call(self, method: str, path: str, body=None, token: str | None = None, headers: dict | None = None):
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else b""
        response = getattr(self.client.http, method.lower())(path, headers=all_headers, body=payload)
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return response.status_code, parsed


def main() -> int:
    parser = argparse.ArgumentParser(description="IDP benchmarks on the local emulator")
    parser.add_argument("--tiny", action="store_true", help="every figure on a tiny configuration")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    config = Config.tiny() if args.tiny else Config()

    from devstack import DevStack, free_port

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    base_env.update({"IDP_BCRYPT_ROUNDS": "4", "IDP_LOG_LEVEL": "ERROR", "IDP_ADMIN_PASSWORD": "bench-admin-password",
                     "IDP_STEP_TIME_SCALE": str(config.deploy_scale), "IDP_DEPLOY_SUCCESS_RATE": "100",
                     "POWERTOOLS_METRICS_NAMESPACE": "IDP", "POWERTOOLS_TRACE_DISABLED": "true"})
    stack = DevStack(emulator_port=free_port(), table_prefix="idp-bench", env=base_env, serve_api=False,
                     log=lambda message: print(f"[bench] {message}", file=sys.stderr))
    results = Results()
    with stack:
        env = stack.app_env()
        cold_start(env, config, results)
        os.environ.update(env)
        import bench_inprocess

        bench_inprocess.run_all(Harness(), Recorder, config, results)

    report = {
        "figures": results.figures,
        "missing": results.missing,
        "config": config.__dict__,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip() or None,
        "tiny": args.tiny,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(bench_inprocess.render_table(report))
    if results.missing:
        for item in results.missing:
            print(f"NOT MEASURED: {item['figure']}: {item['reason']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
