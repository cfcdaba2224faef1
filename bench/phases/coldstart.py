"""Cold start, two ways.

- **As Lambda runs it** (``measure_packaged``): the stage's ``deployment.zip`` as ``scripts/package``
  builds it, unpacked into a directory without write bits; a fresh ``python -I -S -B`` (no venv, no
  site-packages, no bytecode written, as on Lambda's read-only ``/var/task``) with only that
  directory and the runtime's boto3 on ``sys.path`` imports the handler and answers one API
  Gateway event: ``GET /health``, or ``GET /services`` with a user token (an authenticated read,
  its credential cache cold). The reference is ``bench/bare_app.py``, a bare Chalice + boto3
  handler in a bundle built the same way (the same ``chalice`` runtime module, the same runtime
  boto3) that makes the same clients and the same calls. The runtime's boto3 is a copy of this
  virtualenv's, byte-compiled, as the Lambda runtime's own is. Timed from outside: from just
  before the process is spawned to the moment the answer is ready (the interpreter's start is in
  both). Runs alternate; the figure is the median of the per-run ratios.
- **In this virtualenv** (``measure_venv``): ``bench/coldstart_probe.py`` on the source tree with
  bytecode cached, against the bare handler on the same footing: what a developer's machine pays,
  not what Lambda pays.
"""
from __future__ import annotations

import compileall
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.core import ROOT, median

PROBE = ROOT / "bench" / "coldstart_probe.py"
BARE_APP = ROOT / "bench" / "bare_app.py"
STAGE = "dev"
# What the Lambda runtime provides (boto3 and what it needs), copied from this virtualenv.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
TARGET_RATIO = 1.2


def _interpreter() -> str:
    """The interpreter behind this virtualenv: with ``-I -S`` it sees the standard library only."""
    return os.path.realpath(sys.executable)


def _read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def build_bundles(scratch: Path, log) -> dict[str, Path]:
    """The app's bundle (``scripts/package``'s deployment.zip, unpacked), the bare reference's bundle,
    and the runtime's boto3; every folder read-only."""
    import package_stack

    log("cold start: packaging the dev stage (scripts/package)")
    package_stack.package(STAGE, scratch / "package", quiet=True)
    app = scratch / "app"
    with zipfile.ZipFile(scratch / "package" / "deployment.zip") as bundle:
        bundle.extractall(app)
    bare = scratch / "bare"
    bare.mkdir()
    shutil.copytree(app / "chalice", bare / "chalice")  # the Chalice runtime that chalice package ships
    shutil.copy2(BARE_APP, bare / "app.py")
    if any(app.rglob("*.pyc")):  # the app's bundle ships bytecode: so does the reference's
        compileall.compile_dir(str(bare), quiet=1, invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH)
    runtime = scratch / "runtime"
    runtime.mkdir()
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    for name in RUNTIME_PACKAGES:
        source = site / name
        if source.is_dir():
            shutil.copytree(source, runtime / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, runtime / name)
    compileall.compile_dir(str(runtime), quiet=1, invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH)
    # For information: the same bundle without its bytecode (what chalice package alone ships).
    source_only = scratch / "app-without-bytecode"
    shutil.copytree(app, source_only, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for folder in (app, bare, runtime, source_only):
        _read_only(folder)
    return {"app": app, "bare": bare, "runtime": runtime, "app_without_bytecode": source_only}


def probe(argv: list[str], env: dict, what: str) -> dict:
    """Run one probe; its figures, with ``total_s`` from just before the spawn to the answer."""
    spawned = time.monotonic()
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"{what} probe failed: {out.stderr[-800:]}")
    # Powertools writes the request's metrics to stdout too: the probe's line is the last one.
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    if measured["status"] != 200:
        raise RuntimeError(f"{what} answered {measured['status']}: {out.stdout[-400:]}")
    measured["total_s"] = measured["answered_at"] - spawned
    return measured


def lambda_probe(bundle: Path, runtime: Path, request: str, token: str | None, env: dict) -> dict:
    argv = [_interpreter(), "-I", "-S", "-B", str(PROBE), request, token or "-", str(bundle), str(runtime)]
    return probe(argv, env, f"{bundle.name} GET /{request}")


REQUESTS = ("health", "services")


def measure_packaged(env: dict, world, config, results, log) -> None:
    probe_env = {**env, "IDP_BENCH_USER_ID": world.dev_id, "AWS_EC2_METADATA_DISABLED": "true"}
    with tempfile.TemporaryDirectory(prefix="idp-bench-lambda-") as scratch:
        bundles = build_bundles(Path(scratch), log)
        shipped = {side: sum(1 for _ in bundles[side].rglob("*.pyc")) for side in ("app", "bare")}
        try:
            runs: dict[str, dict[str, list[dict]]] = {r: {"app": [], "bare": []} for r in REQUESTS}
            without: list[dict] = []
            log(f"cold start: {config.cold_runs} alternated runs per side and request")
            for run in range(config.cold_runs):
                for request in REQUESTS:
                    token = world.dev if request == "services" else None
                    sides = ("bare", "app") if run % 2 == 0 else ("app", "bare")
                    for side in sides:
                        runs[request][side].append(lambda_probe(bundles[side], bundles["runtime"], request, token,
                                                                probe_env))
                if run % 2 == 0:  # every other run, next to the pair it follows
                    without.append(lambda_probe(bundles["app_without_bytecode"], bundles["runtime"], "health", None,
                                                probe_env))
        finally:
            for folder in bundles.values():
                _writable(folder)
            written = {side: sum(1 for _ in bundles[side].rglob("*.pyc")) - shipped[side] for side in shipped}
    figures = {}
    for request in REQUESTS:
        app, bare = runs[request]["app"], runs[request]["bare"]
        ratios = [a["total_s"] / b["total_s"] for a, b in zip(app, bare, strict=True)]
        figures[f"GET /{request}"] = {
            "app_median_s": round(median(r["total_s"] for r in app), 4),
            "bare_median_s": round(median(r["total_s"] for r in bare), 4),
            "median_ratio": round(median(ratios), 3),
            "meets_target": median(ratios) <= TARGET_RATIO,
            "app_import_median_s": round(median(r["import_s"] for r in app), 4),
            "bare_import_median_s": round(median(r["import_s"] for r in bare), 4),
            "app_request_median_s": round(median(r["request_s"] for r in app), 4),
            "bare_request_median_s": round(median(r["request_s"] for r in bare), 4),
            "app_aws_calls": app[-1]["aws_calls"], "bare_aws_calls": bare[-1]["aws_calls"],
            "app_modules": app[-1]["modules"], "bare_modules": bare[-1]["modules"],
        }
    paired = runs["health"]["bare"][::2]
    results.put("cold_start_lambda", {
        "runs": config.cold_runs, "target_ratio": TARGET_RATIO, "per_request": figures,
        "health_without_bytecode": {
            "runs": len(without), "app_median_s": round(median(r["total_s"] for r in without), 4),
            "median_ratio": round(median([a["total_s"] / b["total_s"] for a, b in zip(without, paired, strict=True)]), 3),
            "note": "GET /health with the bundle as chalice package alone ships it (no .pyc), against the bare run of "
                    "the same round; for information"},
        "meets_target": all(row["meets_target"] for row in figures.values()),
        "bundle_pyc_files": shipped["app"], "pyc_files_written_by_the_runs": written,
        "interpreter": f"{_interpreter()} -I -S -B",
        "note": "scripts/package's deployment.zip unpacked read-only; a fresh python -I -S -B with only the bundle "
                "and the runtime's compiled boto3 on sys.path; wall time from spawn to the answer; alternated runs; "
                "median of per-run ratios to the bare Chalice + boto3 bundle built the same way",
    })


# ---------------------------------------------------------------- in this virtualenv
def _venv_probe(bundle: Path, env: dict) -> dict:
    return probe([sys.executable, str(PROBE), "health", "-", str(bundle)], env, f"{bundle} GET /health")


def measure_venv(env: dict, config, results) -> None:
    """The source tree and this virtualenv, bytecode cached (a scratch ``PYTHONPYCACHEPREFIX`` filled
    by one untimed run each), ``GET /health``."""
    with tempfile.TemporaryDirectory(prefix="idp-bench-pycache-") as cache, \
            tempfile.TemporaryDirectory(prefix="idp-bench-bare-") as bare:
        shutil.copy2(BARE_APP, Path(bare) / "app.py")
        cached = {**env, "PYTHONPYCACHEPREFIX": cache}
        cached.pop("PYTHONDONTWRITEBYTECODE", None)
        sides = {"app": ROOT, "bare": Path(bare)}
        for folder in sides.values():
            _venv_probe(folder, cached)  # fill the bytecode cache
        runs: dict[str, list[dict]] = {"app": [], "bare": []}
        for run in range(config.cold_runs):
            for side in (("bare", "app") if run % 2 == 0 else ("app", "bare")):
                runs[side].append(_venv_probe(sides[side], cached))
    app, bare = runs["app"], runs["bare"]
    ratios = [a["total_s"] / b["total_s"] for a, b in zip(app, bare, strict=True)]
    results.put("cold_start_venv", {
        "runs": config.cold_runs,
        "app_median_s": round(median(r["total_s"] for r in app), 4),
        "bare_median_s": round(median(r["total_s"] for r in bare), 4),
        "median_ratio": round(median(ratios), 3),
        "app_import_median_s": round(median(r["import_s"] for r in app), 4),
        "app_first_request_median_s": round(median(r["request_s"] for r in app), 4),
        "app_first_request_aws_calls": app[-1]["aws_calls"],
        "bare_import_median_s": round(median(r["import_s"] for r in bare), 4),
        "note": "the source tree in this virtualenv, bytecode cached, GET /health; the same bare handler; what a "
                "developer's machine pays, not Lambda (see cold_start_lambda)",
    })
