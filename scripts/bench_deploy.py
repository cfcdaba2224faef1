"""Benchmark of the deployment engine against the local stack (moto server + `chalice local`),
with the seed's step durations (IDP_STEP_TIME_SCALE=1): how long after the trigger a deployment
is visibly RUNNING through the API, and how much longer than the seed's 14.5 s a whole
deployment takes from the trigger to its terminal status (the orchestration's overhead).

    .venv/bin/python scripts/bench_deploy.py [--runs 3] [--poll 0.02]

Not a test: it prints numbers (and a JSON line) and exits 0. The waits themselves add up to 14 s
(whole seconds per step, see ``chalicelib.domain.deployments.step_seconds``), so the overhead is
also shown against those 14 s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from devstack import DevStack, free_port  # noqa: E402

SEED_SECONDS = 14.5
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "bench-admin-password"


def call(method: str, url: str, body=None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def create_service(stack: DevStack, owner_id: str) -> str:
    """Written straight to the emulator's DynamoDB (the services API is on another branch)."""
    import boto3

    from chalicelib.core import clock

    now, service_id = clock.now_iso(), clock.new_id()
    boto3.client("dynamodb", endpoint_url=stack.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").put_item(TableName=f"{stack.table_prefix}-services", Item={
                     "id": {"S": service_id}, "name": {"S": f"bench-{service_id[:8]}"}, "owner_id": {"S": owner_id},
                     "health": {"S": "unknown"}, "active_slots": {"M": {}}, "created_at": {"S": now},
                     "updated_at": {"S": now}, "version": {"N": "1"}, "list_pk": {"S": "service"},
                     "sort_key": {"S": f"{now}#{service_id}"}})
    return service_id


def one_run(stack: DevStack, token: str, service_id: str, version: str, poll: float) -> dict:
    """Polls fast until RUNNING shows, then slowly (so the polling does not slow the engine down);
    the end is the deployment's own ``finished_at`` (same machine, same clock)."""
    from chalicelib.core import clock

    wall_start, started = time.time(), time.perf_counter()
    status, deployment = call("POST", f"{stack.api_url}/deployments", {"service_id": service_id, "version": version},
                              token=token)
    accepted = time.perf_counter() - started
    if status != 202:
        raise RuntimeError(f"trigger answered {status}: {deployment}")
    running_at = None
    while True:
        _, current = call("GET", f"{stack.api_url}/deployments/{deployment['id']}", token=token)
        now = time.perf_counter() - started
        if running_at is None and current["status"] != "PENDING":
            running_at = now
        if current["status"] in ("SUCCESS", "FAILED", "CANCELLED"):
            break
        if now > 120:
            raise RuntimeError("deployment did not finish in 120 s")
        time.sleep(poll if running_at is None else 0.5)
    total = clock.parse_iso(current["finished_at"]).timestamp() - wall_start
    return {"status": current["status"], "accepted_s": round(accepted, 3), "running_visible_s": round(running_at, 3),
            "total_s": round(total, 3), "overhead_vs_14_5_s": round(total - SEED_SECONDS, 3),
            "overhead_vs_waits_s": round(total - 14, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--poll", type=float, default=0.02, help="seconds between status polls")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.pop("IDP_STATE_MACHINE_ARN", None)
    env.update({"IDP_STEP_TIME_SCALE": "1", "IDP_DEPLOY_SUCCESS_RATE": "100", "IDP_ADMIN_EMAIL": ADMIN_EMAIL,
                "IDP_ADMIN_PASSWORD": ADMIN_PASSWORD, "IDP_LOG_LEVEL": "WARNING", "IDP_BCRYPT_ROUNDS": "4"})
    with DevStack(api_port=free_port(), emulator_port=free_port(), table_prefix="idp-bench-deploy", env=env,
                  log=lambda message: print(f"[bench] {message}", file=sys.stderr)) as stack:
        status, login = call("POST", f"{stack.api_url}/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        if status != 200:
            raise RuntimeError(f"login answered {status}: {login}")
        token = login["access_token"]
        service_id = create_service(stack, login["user"]["id"])
        one_run(stack, token, service_id, "warm-up", args.poll)  # first run pays for imports and parsing
        runs = [one_run(stack, token, service_id, f"bench-{i}", args.poll) for i in range(args.runs)]
    for run in runs:
        print(f"run: {run}")
    summary = {
        "runs": len(runs),
        "median_total_s": statistics.median(r["total_s"] for r in runs),
        "median_overhead_vs_14_5_s": statistics.median(r["overhead_vs_14_5_s"] for r in runs),
        "median_overhead_vs_waits_s": statistics.median(r["overhead_vs_waits_s"] for r in runs),
        "median_running_visible_s": statistics.median(r["running_visible_s"] for r in runs),
        "median_accepted_s": statistics.median(r["accepted_s"] for r in runs),
    }
    print(f"trigger -> terminal, median of {len(runs)}: {summary['median_total_s']:.3f} s; minus the seed's 14.5 s: "
          f"{summary['median_overhead_vs_14_5_s']:+.3f} s (minus the 14 s of waits: "
          f"{summary['median_overhead_vs_waits_s']:+.3f} s)")
    print(f"RUNNING visible through the API after {summary['median_running_visible_s']:.3f} s (median); "
          f"the 202 came after {summary['median_accepted_s']:.3f} s")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
