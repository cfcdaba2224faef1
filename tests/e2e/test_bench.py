"""scripts/bench cannot rot: every route has a recipe and every list a seeder (fast checks), and the
whole harness runs on its tiny configuration and produces every figure (end to end: it starts its
own emulator). Nothing here asserts how fast anything is: the machine is shared and noisy."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.phases import round_trips
from bench.phases import scale as scale_phase
from chalicelib.api.routing import ROUTES
from tests.conftest import ROOT

FIGURES = ("cold_start_lambda", "cold_start_venv", "round_trips", "scale", "latency", "memory", "orchestration",
           "ofrep", "flags_vs_sdks", "portal")


def test_every_route_has_a_benchmark_recipe_and_every_list_a_seeder():
    assert set(ROUTES) <= set(round_trips.RECIPES), sorted(set(ROUTES) - set(round_trips.RECIPES))
    lists = scale_phase.list_routes()
    assert "/users" in lists and "/services/{service_id}/logs" in lists
    assert set(lists) == set(scale_phase.scale_cases("s", "d")), lists


@pytest.mark.e2e
def test_the_tiny_benchmark_produces_every_figure(tmp_path):
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    run = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--out", str(out)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["tiny"] is True and report["missing"] == []
    figures = report["figures"]
    assert set(FIGURES) <= set(figures)

    lambda_ = figures["cold_start_lambda"]
    assert set(lambda_["per_request"]) == {"GET /health", "GET /services"}
    for row in lambda_["per_request"].values():
        assert row["app_median_s"] > 0 and row["bare_median_s"] > 0 and row["median_ratio"] > 0
        assert sorted(row["app_aws_calls"]) == sorted(row["bare_aws_calls"]), row  # the same calls on both sides
    assert lambda_["pyc_files_written_by_the_runs"] == {"app": 0, "bare": 0}  # a read-only bundle, as on Lambda
    assert figures["cold_start_venv"]["median_ratio"] > 0
    trips = figures["round_trips"]
    assert set(trips["per_route"]) == {f"{method} {path}" for method, path in ROUTES}
    assert trips["scans"] == 0 and trips["authorization"]["user_token_warm"] == 0
    assert all(row["calls"] == 0 for row in trips["per_route"].values() if row["kind"] == "evaluation")
    scale = figures["scale"]
    assert set(scale["per_list"]) == set(scale_phase.list_routes())
    assert all(len(row["sizes"]) == 2 for row in scale["per_list"].values())
    assert all(row["p50_ms"] > 0 and row["p99_ms"] >= row["p50_ms"] for row in figures["latency"]["per_route"].values())
    assert figures["memory"]["peak_rss_mb"] > 0 and figures["memory"]["statuses"] == {"200": report["config"][
        "memory_requests"]}
    assert figures["orchestration"]["runs"] == 1 and figures["orchestration"]["per_run"][0]["status"] == "SUCCESS"
    sdks = figures["flags_vs_sdks"]
    assert set(sdks["per_s"]) == {"ours", "ours_evaluator", "launchdarkly", "unleash", "bare_sha256"}
    # Every evaluator puts about half the users in the 50 % rollout, and the SDKs leave no thread behind.
    assert all(0.4 < share < 0.6 for share in sdks["share_in_rollout"].values()), sdks["share_in_rollout"]
    assert sdks["threads_left"] == []
    ofrep = figures["ofrep"]
    assert ofrep["single_rps"] > 0 and ofrep["bulk_rps"] > 0 and ofrep["reference_rps"] > 0
    assert ofrep["flags_in_bulk"] == report["config"]["ofrep_bulk_flags"] and ofrep["aws_calls_while_measured"] == 0
    portal = figures["portal"]
    assert portal["first_visit_services"]["js_gzip_kb"] > 0
    assert set(portal["lighthouse"]) == {"/login"} and 0 <= portal["lighthouse"]["/login"]["accessibility"] <= 100
    assert all(row["count"] > 0 for row in portal["api_calls_first_view"].values())
    assert "cold start as Lambda runs it" in run.stdout and "AWS calls per request" in run.stdout


def test_the_bench_runs_only_the_phases_asked_for(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--phases", "portal,nothing", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "unknown phase(s): nothing" in run.stderr
    assert not out.exists()
