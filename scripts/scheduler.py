"""Run the app's scheduled functions locally, at their rates (``chalice local`` runs none).

The jobs are discovered from the Chalice app object itself (every ``@app.schedule`` /
``@bp.schedule`` registers a ``ScheduledEventConfig`` in ``app.event_sources`` and its Lambda
handler in ``app.handler_map``), and each run goes through that handler, with an EventBridge
"Scheduled Event" shaped like AWS's and a Lambda context, so the app's middleware runs exactly as
on AWS. Every job runs once at start, then at its rate. Each run is logged on stdout with a
``[scheduler]`` prefix. SIGINT or SIGTERM stops it (after the job that is running, if any).

    python scripts/scheduler.py               # the app in app.py (scripts/dev starts this)
    python scripts/scheduler.py --once        # run every job once and exit
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UNIT_SECONDS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
ACCOUNT = "123456789012"


def log(message: str) -> None:
    print(f"[scheduler] {message}", flush=True)


@dataclass
class Job:
    name: str
    expression: str  # as EventBridge gets it: "rate(5 minutes)", "cron(...)"
    interval: float | None  # seconds between runs; None for cron expressions (not run locally)
    handler: Any  # the Lambda handler Chalice built: handler(event_dict, context)


def rate_seconds(expression: str) -> float | None:
    match = re.fullmatch(r"\s*rate\(\s*(\d+)\s+([a-z]+)\s*\)\s*", expression.lower())
    if match is None or match.group(2) not in UNIT_SECONDS:
        return None
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def discover(app) -> list[Job]:
    """Every scheduled function registered on ``app`` (directly or through a blueprint)."""
    from chalice.app import ScheduledEventConfig

    jobs = []
    for source in app.event_sources:
        if not isinstance(source, ScheduledEventConfig):
            continue
        expression = source.schedule_expression
        text = expression if isinstance(expression, str) else expression.to_string()
        jobs.append(Job(name=source.name, expression=text, interval=rate_seconds(text),
                        handler=app.handler_map[source.name]))
    return jobs


def scheduled_event(job: Job, region: str = "us-east-1", now: datetime | None = None) -> dict:
    """What EventBridge sends a function on a schedule."""
    now = now or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{job.name}"],
        "detail": {},
    }


def run_job(job: Job, region: str = "us-east-1") -> Any:
    """Invoke the job through Chalice's handler, as Lambda would."""
    from chalice.local import LambdaContext

    context = LambdaContext(function_name=job.name, memory_size=512, max_runtime_ms=15 * 60 * 1000)
    return job.handler(scheduled_event(job, region), context)


def _summary(result: Any) -> str:
    try:
        text = json.dumps(result, default=str, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(result)
    return text if len(text) <= 300 else text[:297] + "..."


def run_logged(job: Job, region: str) -> bool:
    started = time.monotonic()
    try:
        result = run_job(job, region)
    except Exception as error:  # noqa: BLE001 - a failing job is logged and tried again at its next run
        log(f"{job.name} failed after {time.monotonic() - started:.2f}s: {type(error).__name__}: {error}")
        traceback.print_exc(limit=3, file=sys.stdout)
        return False
    log(f"{job.name} ran in {time.monotonic() - started:.2f}s: {_summary(result)}")
    return True


def serve(jobs: list[Job], stop: threading.Event, region: str = "us-east-1") -> None:
    """Run every job now and then at its rate until ``stop`` is set."""
    due = {job.name: time.monotonic() for job in jobs if job.interval is not None}
    by_name = {job.name: job for job in jobs}
    while not stop.is_set() and due:
        name = min(due, key=due.get)
        wait = due[name] - time.monotonic()
        if wait > 0 and stop.wait(wait):
            break
        job = by_name[name]
        run_logged(job, region)
        due[name] = max(due[name] + job.interval, time.monotonic())
    if not due and not stop.is_set():
        stop.wait()


def load_app(spec: str):
    module_name, _, attribute = spec.partition(":")
    sys.path.insert(0, str(ROOT))
    return getattr(importlib.import_module(module_name), attribute or "app")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default="app:app", help="module:attribute of the Chalice app (default app:app)")
    parser.add_argument("--once", action="store_true", help="run every job once and exit")
    args = parser.parse_args(argv)
    stop = threading.Event()

    def on_signal(signum, _frame):
        log(f"received {signal.Signals(signum).name}: stopping")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    app = load_app(args.app)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    jobs = discover(app)
    for job in jobs:
        when = f"every {job.interval:g}s" if job.interval is not None else "not run locally (cron)"
        log(f"found {job.name}: {job.expression}, {when}")
    if args.once:
        return 0 if all([run_logged(job, region) for job in jobs]) else 1
    log(f"started (pid {os.getpid()}) with {len(jobs)} job(s)")
    serve(jobs, stop, region)
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
