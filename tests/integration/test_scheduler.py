"""The local scheduler: finds every scheduled function of the app, runs it through Chalice's own
handler with a real-shaped event, and stops on SIGTERM / Ctrl-C (under scripts/dev:
tests/e2e/test_scheduler_dev.py)."""
from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import scheduler
from chalice import Blueprint, Chalice, Rate

from app import app as real_app
from tests.conftest import ROOT
from tests.support import wait_for_log


def _schedule_decorated_functions() -> set[str]:
    """Independently of Chalice's registry: every function decorated with ``<x>.schedule(...)`` in
    the code base (its ``name=`` if given, else the function name)."""
    found = set()
    for path in [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr == "schedule"):
                    names = [k.value.value for k in decorator.keywords if k.arg == "name"]
                    found.add(names[0] if names else node.name)
    return found


def test_discovery_finds_every_scheduled_function_of_the_app():
    jobs = scheduler.discover(real_app)
    assert {job.name for job in jobs} == _schedule_decorated_functions()
    assert len(jobs) >= 1
    alert_rules = next(job for job in jobs if job.name == "alert_rules")
    assert alert_rules.expression == "rate(5 minutes)" and alert_rules.interval == 300


def test_discovery_covers_app_and_blueprint_schedules_of_every_expression_form():
    app = Chalice(app_name="t")
    bp = Blueprint(__name__)

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def every_minute(event):
        return None

    @bp.schedule("rate(2 hours)", name="two-hourly")
    def from_blueprint(event):
        return None

    @app.schedule("cron(0 3 * * ? *)")
    def nightly(event):
        return None

    @app.on_cw_event({"source": ["aws.states"]})
    def not_a_schedule(event):
        return None

    @app.route("/")
    def index():
        return {}

    app.register_blueprint(bp)
    jobs = {job.name: job for job in scheduler.discover(app)}
    assert set(jobs) == {"every_minute", "two-hourly", "nightly"}
    assert (jobs["every_minute"].interval, jobs["two-hourly"].interval, jobs["nightly"].interval) == (60, 7200, None)


def test_a_run_goes_through_chalices_handler_with_a_scheduled_event():
    app = Chalice(app_name="t")
    seen = {}

    def middleware(event, get_response):
        seen["middleware"] = type(event).__name__
        return get_response(event)

    app.register_middleware(middleware, "scheduled")

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def tick(event):
        seen.update(detail_type=event.detail_type, source=event.source, resources=event.resources,
                    function=event.context.function_name)
        return {"ticked": True}

    [job] = scheduler.discover(app)
    assert scheduler.run_job(job) == {"ticked": True}
    assert seen == {"middleware": "CloudWatchEvent", "detail_type": "Scheduled Event", "source": "aws.events",
                    "resources": ["arn:aws:events:us-east-1:123456789012:rule/tick"], "function": "tick"}


def test_the_real_job_runs_through_the_handler():
    [job] = [job for job in scheduler.discover(real_app) if job.name == "alert_rules"]
    report = scheduler.run_job(job)
    assert report["opened"] == [] and report["failure_rate_window"]["finished"] == 0


TICK_APP = """
from chalice import Chalice, Rate
app = Chalice(app_name="tick")
runs = []

@app.schedule(Rate(1, unit=Rate.MINUTES))
def tick(event):
    runs.append(event.time)
    return {"runs": len(runs)}

@app.schedule("rate(1 day)")
def failing(event):
    raise RuntimeError("boom")
"""


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_scheduler_logs_each_run_and_stops_on_a_signal(tmp_path, stop_signal):
    (tmp_path / "tickapp.py").write_text(textwrap.dedent(TICK_APP))
    log_path = tmp_path / "scheduler.log"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "scheduler.py"), "--app", "tickapp:app"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        content = wait_for_log(log_path, "[scheduler] tick ran", process)
        wait_for_log(log_path, "[scheduler] failing failed", process)  # a failing job does not stop the others
        assert "[scheduler] found tick: rate(1 minute), every 60s" in content
        os.kill(process.pid, stop_signal)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert log_path.read_text().rstrip().endswith("[scheduler] stopped")
