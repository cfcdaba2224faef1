"""scripts/bench cannot rot: every route has a recipe and every list a seeder (fast checks), and the
whole harness runs on its tiny configuration and produces every figure (end to end: it starts its
own emulator). Nothing here asserts how fast anything is: the machine is shared and noisy."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import bench_inprocess
import pytest

import app  # noqa: F401 - importing the app registers every route in ROUTES
from chalicelib.api.routing import ROUTES
from tests.conftest import ROOT

FIGURES = ("cold_start", "round_trips", "scale", "latency", "memory", "orchestration", "flags_vs_peers", "portal")


def test_every_route_has_a_benchmark_recipe_and_every_list_a_seeder():
    assert set(ROUTES) <= set(bench_inprocess.RECIPES), sorted(set(ROUTES) - set(bench_inprocess.RECIPES))
    lists = bench_inprocess.list_routes()
    assert "/users" in lists and "/services/{service_id}/logs" in lists
    assert set(lists) == set(bench_inprocess.scale_cases("s", "d")), lists


@pytest.mark.e2e
def test_the_tiny_benchmark_produces_every_figure(tmp_path):
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--tiny", "--out", str(out)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["tiny"] is True and report["missing"] == []
    figures = report["figures"]
    assert set(FIGURES) <= set(figures)

    cold = figures["cold_start"]
    assert cold["app_median_s"] > 0 and cold["bare_median_s"] > 0 and cold["median_ratio"] > 0
    trips = figures["round_trips"]
    assert set(trips["per_route"]) == {f"{method} {path}" for method, path in ROUTES}
    assert trips["scans"] == 0 and trips["authorization"]["user_token_warm"] == 0
    assert all(row["calls"] == 0 for row in trips["per_route"].values() if row["kind"] == "evaluation")
    scale = figures["scale"]
    assert set(scale["per_list"]) == set(bench_inprocess.list_routes())
    assert all(len(row["sizes"]) == 2 for row in scale["per_list"].values())
    assert all(row["p50_ms"] > 0 and row["p99_ms"] >= row["p50_ms"] for row in figures["latency"]["per_route"].values())
    assert figures["memory"]["peak_rss_mb"] > 0 and figures["memory"]["statuses"] == {"200": report["config"][
        "memory_requests"]}
    assert figures["orchestration"]["runs"] == 1 and figures["orchestration"]["per_run"][0]["status"] == "SUCCESS"
    assert set(figures["flags_vs_peers"]["peers"]) == {"launchdarkly", "unleash"}
    portal = figures["portal"]
    assert portal["first_visit_services"]["js_gzip_kb"] > 0
    assert set(portal["lighthouse"]) == {"/login"} and 0 <= portal["lighthouse"]["/login"]["accessibility"] <= 100
    assert all(row["count"] > 0 for row in portal["api_calls_first_view"].values())
    assert "cold start" in run.stdout and "AWS calls per request" in run.stdout
