"""Benchmarks: what the platform costs per request, as ratios against reference runs in the same
process or the same run (these machines are noisy). Runs on the local emulator (moto server),
prints a table and writes bench/results.json.

    scripts/bench            # the full run (about five minutes)
    scripts/bench --tiny     # every figure on a tiny configuration (what tests/e2e/test_bench.py runs)

Figures: cold start against a bare Chalice app; AWS calls per route (every route of the route
table); items DynamoDB examines for the first page of every list at two table sizes; handler
latency with the data store's share apart; peak memory; the deployment orchestration's overhead;
the flag evaluator against the bucketing schemes of LaunchDarkly and Unleash; the portal in chromium
(first-visit size, API calls per page, Lighthouse scores).

Exits non-zero when any figure cannot be measured: no made-up or default numbers.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

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
    flag_users: int = 100_000  # evaluations per scheme per round
    flag_rounds: int = 7
    bulk_flags: int = 100  # flags in the table for the bulk evaluation routes

    @classmethod
    def tiny(cls) -> Config:
        # Step time scale 0.5: the first step still waits a whole second, which the cancel recipe needs.
        return cls(cold_runs=1, latency_requests=10, memory_requests=40, scale_sizes=(30, 60), deploy_runs=1,
                   deploy_scale=0.5, flag_users=2_000, flag_rounds=3, bulk_flags=10)


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


# ---------------------------------------------------------------- 1. cold start
def _probe(which: str, env: dict, root: Path = ROOT) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "coldstart_probe.py"), which, str(root)], env=env,
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"{which} probe failed: {out.stderr[-800:]}")
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    if measured["status"] != 200:
        raise RuntimeError(f"{which} /health answered {measured['status']}")
    return measured


def _source_copy(into: Path) -> Path:
    """app.py and chalicelib without any bytecode, as a Lambda bundle made by ``chalice package``
    ships them (and Lambda's read-only /var/task keeps Python from caching what it compiles)."""
    shutil.copy2(ROOT / "app.py", into / "app.py")
    shutil.copytree(ROOT / "chalicelib", into / "chalicelib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return into


def cold_start(env: dict, config: Config, results: Results) -> None:
    """Runs alternate so drift on the machine hits every variant alike. ``bare`` and ``app``
    import from compiled bytecode (kept in a scratch cache, filled by one untimed run each), as a
    warm file cache serves them. For information, every other pair is followed by two runs that
    compile on every start, as Lambda does with a bundle made by ``chalice package`` (wheels are
    unpacked without ``.pyc`` files and /var/task is read-only): the app's own modules only, and
    everything the app imports."""
    with tempfile.TemporaryDirectory(prefix="idp-bench-pycache-") as cache, \
            tempfile.TemporaryDirectory(prefix="idp-bench-source-") as source, \
            tempfile.TemporaryDirectory(prefix="idp-bench-empty-") as empty:
        cached = {**env, "PYTHONPYCACHEPREFIX": cache}
        cached.pop("PYTHONDONTWRITEBYTECODE", None)
        uncached = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        uncached.pop("PYTHONPYCACHEPREFIX", None)
        nothing_cached = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty}
        copy = _source_copy(Path(source))
        runs: dict[str, list[dict]] = {"app": [], "bare": [], "app_source": [], "app_no_bytecode": []}
        try:
            _probe("bare", cached), _probe("app", cached)  # fill the bytecode cache
            for run in range(config.cold_runs):
                runs["bare"].append(_probe("bare", cached))
                runs["app"].append(_probe("app", cached))
                if run % 2 == 0:
                    runs["app_source"].append(_probe("app", uncached, copy))
                    runs["app_no_bytecode"].append(_probe("app", nothing_cached, copy))
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
            results.fail("cold_start", str(error))
            return
    app, bare = runs["app"], runs["bare"]
    ratios = [a["total_s"] / b["total_s"] for a, b in zip(app, bare, strict=True)]
    without_store = [(a["total_s"] - a["datastore_s"]) / b["total_s"] for a, b in zip(app, bare, strict=True)]
    source_ratios = [a["total_s"] / b["total_s"] for a, b in zip(runs["app_source"], bare[::2], strict=True)]
    nothing_ratios = [a["total_s"] / b["total_s"] for a, b in zip(runs["app_no_bytecode"], bare[::2], strict=True)]
    results.put("cold_start", {
        "runs": config.cold_runs,
        "app_median_s": median(r["total_s"] for r in app),
        "bare_median_s": median(r["total_s"] for r in bare),
        "median_ratio": median(ratios),
        "target_ratio": 1.3,
        "meets_target": median(ratios) <= 1.3,
        "app_import_median_s": median(r["import_s"] for r in app),
        "app_first_request_median_s": median(r["request_s"] for r in app),
        "app_first_request_datastore_median_s": median(r["datastore_s"] for r in app),
        "app_first_request_aws_calls": app[-1]["aws_calls"],
        "bare_import_median_s": median(r["import_s"] for r in bare),
        "median_ratio_without_datastore": median(without_store),
        "app_without_own_bytecode_median_s": median(r["total_s"] for r in runs["app_source"]),
        "app_without_own_bytecode_median_ratio": median(source_ratios),
        "app_without_any_bytecode_median_s": median(r["total_s"] for r in runs["app_no_bytecode"]),
        "app_without_any_bytecode_median_ratio": median(nothing_ratios),
        "note": "in-process wall time from the probe's first line to the /health answer; alternated runs; "
                "median of per-run ratios to the bare run next to it",
    })


# ---------------------------------------------------------------- the in-process harness
class Recorder:
    """Counts AWS calls (and their time, and Query/Scan ScannedCount) through botocore's one entry
    point, which boto3 clients and pynamodb's connection both go through."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.scanned: list[int] = []
        self.spans: list[tuple[float, float]] = []
        self._original = None

    @property
    def aws_seconds(self) -> float:
        """Wall time during which at least one AWS call was in flight (calls may run in parallel)."""
        total, end = 0.0, float("-inf")
        for start, stop in sorted(self.spans):
            if stop > end:
                total += stop - max(start, end)
                end = stop
        return total

    def __enter__(self) -> Recorder:
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        recorder = self

        def recording(client, operation, params):
            started = time.perf_counter()
            try:
                response = original(client, operation, params)
            finally:
                recorder.spans.append((started, time.perf_counter()))
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
        self.spans.clear()


class Harness:
    """The app in this process, through Chalice's test client (the Lambda handler path: the same
    middleware and routing), against the emulator."""

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


@contextlib.contextmanager
def quiet_stdout():
    """Powertools prints each request's EMF metrics to stdout; the table goes there at the end."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


@contextlib.contextmanager
def emulator_output(path: Path):
    """Processes started in this block (the emulator) write their stderr to ``path``: moto's Step
    Functions print every expected failure (a cancel beating a step) with the whole state machine.
    The table and this process's own messages stay readable."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "w") as sink:
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


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

    return {"sha": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain", "--", "app.py",
                                                                      "chalicelib", "scripts", "bench/coldstart_probe.py",
                                                                      "state_machines", "infrastructure"))}


def main() -> int:
    parser = argparse.ArgumentParser(description="IDP benchmarks on the local emulator")
    parser.add_argument("--tiny", action="store_true", help="every figure on a tiny configuration")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    config = Config.tiny() if args.tiny else Config()
    started = time.monotonic()
    console = os.fdopen(os.dup(2), "w", buffering=1)  # stays the terminal while the emulator's output is elsewhere

    def log(message: str) -> None:
        print(f"[bench {time.monotonic() - started:4.0f} s] {message}", file=console, flush=True)

    report_machine, report_commit = machine(), commit()

    from devstack import DevStack, free_port

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    base_env.pop("IDP_STATE_MACHINE_ARN", None)
    base_env.update({"IDP_BCRYPT_ROUNDS": "4", "IDP_LOG_LEVEL": "WARNING", "IDP_ADMIN_EMAIL": ADMIN_EMAIL,
                     "IDP_ADMIN_PASSWORD": ADMIN_PASSWORD, "IDP_STEP_TIME_SCALE": str(config.deploy_scale),
                     "IDP_DEPLOY_SUCCESS_RATE": "100", "IDP_AUTH_CACHE_SECONDS": "60", "IDP_FLAG_CACHE_SECONDS": "60",
                     "POWERTOOLS_METRICS_NAMESPACE": "IDP", "POWERTOOLS_TRACE_DISABLED": "true"})
    stack = DevStack(emulator_port=free_port(), table_prefix="idp-bench", env=base_env, serve_api=False, log=log)
    results = Results()
    handle, emulator_log = tempfile.mkstemp(prefix="idp-bench-emulator-", suffix=".log")
    os.close(handle)
    emulator_log = Path(emulator_log)
    try:
        with emulator_output(emulator_log):
            stack.start()
        env = stack.app_env()
        log("cold start")
        cold_start(env, config, results)
        os.environ.update(env)
        import bench_flags
        import bench_inprocess

        with quiet_stdout():
            bench_inprocess.run_all(Harness(), Recorder, config, results, log)
        log("flag evaluator against the peers' bucketing")
        try:
            bench_flags.measure(config, results)
        except Exception as error:  # noqa: BLE001 - reported, and the exit is non-zero
            results.fail("flags_vs_peers", f"{type(error).__name__}: {error}")
    finally:
        stack.stop()
    log("portal in chromium: first-visit size, API calls per page, lighthouse")
    try:
        import bench_portal

        bench_portal.measure(results, log, tiny=args.tiny)
    except Exception as error:  # noqa: BLE001 - reported, and the exit is non-zero
        results.fail("portal", f"{type(error).__name__}: {error}")

    report = {
        "command": "scripts/bench" + (" --tiny" if args.tiny else ""),
        "figures": results.figures,
        "missing": results.missing,
        "config": asdict(config),
        "machine": report_machine,
        "commit": report_commit,
        "tiny": args.tiny,
        "elapsed_s": round(time.monotonic() - started, 1),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(bench_inprocess.render_table(report))
    if results.missing:
        for item in results.missing:
            print(f"NOT MEASURED: {item['figure']}: {item['reason']}", file=sys.stderr)
        print(f"(the emulator's own output: {emulator_log})", file=sys.stderr)
        return 1
    emulator_log.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
