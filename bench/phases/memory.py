"""Peak memory of a child process serving a mix of requests, against a bare Chalice app with
boto3 serving the same number through the same test client.

    python -m bench.phases.memory app|bare <requests> <handles as JSON>   (the child)
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.core import ROOT
from bench.fixtures import Request, World
from bench.phases.latency import main_routes

PROBE_MARK = "BENCH-MEMORY "


def measure(world: World, config, results) -> None:
    measured = {}
    for which in ("app", "bare"):
        out = subprocess.run([sys.executable, "-m", "bench.phases.memory", which, str(config.memory_requests),
                              json.dumps(world.handles())], cwd=ROOT, capture_output=True, text=True, timeout=900)
        lines = [line for line in out.stdout.splitlines() if line.startswith(PROBE_MARK)]
        if out.returncode != 0 or not lines:
            results.fail("memory", f"{which} probe failed: {out.stderr[-800:]}")
            return
        measured[which] = json.loads(lines[-1][len(PROBE_MARK):])
    app, bare = measured["app"], measured["bare"]
    results.put("memory", {"requests": app["requests"], "peak_rss_mb": app["peak_rss_mb"],
                           "after_import_rss_mb": app["after_import_rss_mb"], "bare_peak_rss_mb": bare["peak_rss_mb"],
                           "ratio_to_bare": round(app["peak_rss_mb"] / bare["peak_rss_mb"], 2), "target_mb": 100,
                           "meets_target": app["peak_rss_mb"] <= 100, "statuses": app["statuses"],
                           "bare": "boto3 + a DynamoDB client + a one-route Chalice app serving the same number of "
                                   "requests through the same test client"})


def _rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: on Linux that keeps
    the high-water mark from before exec, i.e. the parent's size at fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status: peak memory cannot be measured here")


def memory_probe(which: str, requests: int, handles: dict) -> None:
    statuses: dict[str, int] = {}
    if which == "bare":
        import boto3
        from chalice import Chalice
        from chalice.test import Client

        app = Chalice(app_name="bare")
        dynamodb = boto3.client("dynamodb")

        @app.route("/ping")
        def ping():
            return {"status": "ok", "client": dynamodb.meta.service_model.service_name}

        client = Client(app)
        after_import = _rss_mb()
        for _ in range(requests):
            status = client.http.get("/ping").status_code
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    else:
        from bench.harness import Harness

        harness = Harness()
        after_import = _rss_mb()
        mix = [request for _, request in main_routes(handles)] + [
            Request("GET", "/health"),
            Request("GET", "/openapi.json"),  # builds every schema once: the document stays in memory
            Request("GET", f"/services/{handles['service_id']}/logs", None, handles["dev"]),
            Request("GET", "/metrics/summary?days=30", None, handles["dev"]),
        ]
        for i in range(requests):
            request = mix[i % len(mix)]
            status, _ = harness.call(request.method, request.path, request.body, request.token, request.headers)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    print(PROBE_MARK + json.dumps({"requests": requests, "peak_rss_mb": _rss_mb(), "after_import_rss_mb": after_import,
                                   "statuses": statuses}), flush=True)



if __name__ == "__main__":
    memory_probe(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]))
