"""Handler latency of the requests a day on the platform is made of, with the data store's share
apart, interleaved with a bare Chalice route through the same test client."""
from __future__ import annotations

import time

from bench.core import percentile
from bench.fixtures import Request, World
from bench.harness import Recorder


def main_routes(h: dict) -> list[tuple[str, Request]]:
    """The requests a day on the platform is made of (``h``: World.handles())."""
    ofrep = {"context": {"targetingKey": "user-42"}}
    return [
        ("GET /auth/me", Request("GET", "/auth/me", None, h["dev"])),
        ("GET /services", Request("GET", "/services?limit=20", None, h["dev"])),
        ("GET /services/{id}", Request("GET", f"/services/{h['service_id']}", None, h["dev"])),
        ("GET /deployments/{id}", Request("GET", f"/deployments/{h['deployment_id']}", None, h["dev"])),
        ("GET /flags/{key}/evaluate (SDK key)", Request("GET", f"/flags/{h['flag_key']}/evaluate?user_id=user-42",
                                                        None, h["sdk_key"])),
        ("POST /flags/evaluate (SDK key, all flags)", Request("POST", "/flags/evaluate", {"user_id": "user-42"},
                                                              h["sdk_key"])),
        ("POST /ofrep/v1/evaluate/flags (SDK key)", Request("POST", "/ofrep/v1/evaluate/flags", ofrep, h["sdk_key"])),
    ]


class Reference:
    """The floor of the handler path: a bare Chalice app, through the same test client, in the same
    process, interleaved with the measured requests. ``GET /ping`` returns a constant; ``POST
    /echo`` reads a JSON body and answers a small JSON object (the floor of an OFREP request)."""

    def __init__(self) -> None:
        from chalice import Chalice
        from chalice.test import Client

        app = Chalice(app_name="bench-reference")

        @app.route("/ping")
        def ping():
            return {"status": "ok"}

        @app.route("/echo", methods=["POST"])
        def echo():
            context = app.current_request.json_body["context"]
            return {"key": "flag", "value": True, "variant": "on", "reason": "STATIC",
                    "metadata": {"targetingKey": context.get("targetingKey")}}

        self.client = Client(app)
        self._body = b'{"context": {"targetingKey": "user-42"}}'

    def call(self) -> None:
        response = self.client.http.get("/ping")
        assert response.status_code == 200

    def post(self) -> None:
        response = self.client.http.post("/echo", headers={"Content-Type": "application/json"}, body=self._body)
        assert response.status_code == 200


def measure(harness, world: World, config, results) -> None:
    routes = main_routes(world.handles())
    reference = Reference()
    totals: dict[str, list[float]] = {name: [] for name, _ in routes}
    stores: dict[str, list[float]] = {name: [] for name, _ in routes}
    ref_times: list[float] = []
    with Recorder() as recorder:
        for name, request in routes:  # warm every cache once
            status, reply = harness.call(request.method, request.path, request.body, request.token, request.headers)
            if status != 200:
                results.fail("latency", f"{name} answered {status}: {str(reply)[:200]}")
                return
        for _ in range(config.latency_requests):  # interleaved: drift on the machine hits every route alike
            started = time.perf_counter()
            reference.call()
            ref_times.append(time.perf_counter() - started)
            for name, request in routes:
                recorder.reset()
                started = time.perf_counter()
                harness.call(request.method, request.path, request.body, request.token, request.headers)
                totals[name].append(time.perf_counter() - started)
                stores[name].append(recorder.aws_seconds)
    ref_p50 = percentile(ref_times, 0.5)
    figures = {}
    for name, _ in routes:
        own = [t - s for t, s in zip(totals[name], stores[name], strict=True)]
        figures[name] = {
            "requests": len(totals[name]),
            "p50_ms": round(percentile(totals[name], 0.5) * 1000, 2),
            "p99_ms": round(percentile(totals[name], 0.99) * 1000, 2),
            "datastore_p50_ms": round(percentile(stores[name], 0.5) * 1000, 2),
            "datastore_p99_ms": round(percentile(stores[name], 0.99) * 1000, 2),
            "own_p50_ms": round(percentile(own, 0.5) * 1000, 2),
            "own_p99_ms": round(percentile(own, 0.99) * 1000, 2),
            "own_p50_vs_reference": round(percentile(own, 0.5) / ref_p50, 2),
        }
    results.put("latency", {"per_route": figures, "reference_p50_ms": round(ref_p50 * 1000, 3),
                            "reference_p99_ms": round(percentile(ref_times, 0.99) * 1000, 3),
                            "reference": "a bare Chalice route returning a constant, same test client, interleaved",
                            "note": "own = handler time minus the time spent inside AWS calls (the emulator's speed "
                                    "is not ours)"})

