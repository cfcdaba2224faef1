"""The deployment orchestration's overhead, for scripts/bench: a deployment is triggered through
the app in this process (the Lambda handler path), the state machine runs in the emulator with the
seed's step durations (IDP_STEP_TIME_SCALE=1), and the deployment is read back through the app
until it is terminal. Overhead = trigger to terminal minus the seed's 14.5 s; median of the runs.

Polling is fast (20 ms) until RUNNING shows and over the last second before the expected end, and
slow in between, so the polling itself does not slow the engine down. The end is when the API
first shows the terminal status (the engine's own ``finished_at`` is reported too).
"""
from __future__ import annotations

import statistics
import time

FAST, SLOW = 0.02, 0.5
TERMINAL = ("SUCCESS", "FAILED", "CANCELLED")


def one_run(harness, world, seed_s: float) -> dict:
    from chalicelib.core import clock

    service_id = world.new_service()
    wall_start, started = time.time(), time.perf_counter()
    status, deployment = harness.call("POST", "/deployments", {"service_id": service_id, "version": "bench"},
                                      world.dev)
    accepted = time.perf_counter() - started
    if status != 202:
        raise RuntimeError(f"trigger answered {status}: {deployment}")
    running_at = None
    while True:
        status, current = harness.call("GET", f"/deployments/{deployment['id']}", None, world.dev)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"reading the deployment answered {status}: {current}")
        if running_at is None and current["status"] != "PENDING":
            running_at = elapsed
        if current["status"] in TERMINAL:
            break
        if elapsed > seed_s + 120:
            raise RuntimeError(f"deployment {deployment['id']} not terminal after {elapsed:.0f} s")
        near_end = elapsed > seed_s - 1.0
        time.sleep(FAST if running_at is None or near_end else min(SLOW, max(FAST, seed_s - 1.0 - elapsed)))
    engine_end = clock.parse_iso(current["finished_at"]).timestamp() - wall_start if current["finished_at"] else None
    return {"status": current["status"], "accepted_s": round(accepted, 3), "running_visible_s": round(running_at, 3),
            "terminal_visible_s": round(elapsed, 3), "engine_finished_s": round(engine_end, 3) if engine_end else None,
            "overhead_s": round(elapsed - seed_s, 3)}


def measure(harness, world, config, results, log) -> None:
    from chalicelib.core.settings import get_settings
    from chalicelib.domain.deployments import SEED_SECONDS, step_seconds

    scale = get_settings().step_time_scale
    if scale != config.deploy_scale:
        results.fail("orchestration", f"the app runs with IDP_STEP_TIME_SCALE={scale}, not {config.deploy_scale}")
        return
    seed_s = float(sum(SEED_SECONDS)) * scale
    runs = []
    try:
        for i in range(config.deploy_runs):
            run = one_run(harness, world, seed_s)
            log(f"deployment run {i + 1}: {run}")
            if run["status"] != "SUCCESS":
                raise RuntimeError(f"the deployment ended {run['status']} (IDP_DEPLOY_SUCCESS_RATE is 100)")
            runs.append(run)
    except RuntimeError as error:
        results.fail("orchestration", str(error))
        return
    overhead = statistics.median(r["overhead_s"] for r in runs)
    results.put("orchestration", {
        "runs": len(runs), "step_time_scale": scale, "seed_s": seed_s, "waits_s": sum(step_seconds(scale)),
        "overhead_median_s": overhead, "target_s": 0.5, "meets_target": abs(overhead) <= 0.5,
        # What the orchestration itself costs on top of the Wait states (whole seconds: 14 of the 14.5).
        "beyond_waits_median_s": round(statistics.median(r["terminal_visible_s"] for r in runs) -
                                       sum(step_seconds(scale)), 3),
        "terminal_visible_median_s": statistics.median(r["terminal_visible_s"] for r in runs),
        "engine_finished_median_s": statistics.median(r["engine_finished_s"] for r in runs),
        "running_visible_median_s": statistics.median(r["running_visible_s"] for r in runs),
        "accepted_median_s": statistics.median(r["accepted_s"] for r in runs),
        "per_run": runs,
        "note": "trigger through the app in process; the state machine runs in the emulator; end = the API first "
                "shows the terminal status (polled every 20 ms near the end)",
    })
