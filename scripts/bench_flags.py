"""Benchmark of flag evaluation (not a test; numbers depend on the machine).

    .venv/bin/python scripts/bench_flags.py            # or IDP_VENV's python

1. The pure evaluator (chalicelib/domain/evaluation.py) on one core: evaluations per second for a
   50 % rollout (one SHA-256 per evaluation) and a 100 % flag (no hash).
2. A bulk evaluation of 200 flags for one user through the whole handler (middleware,
   authentication, JSON) with warm caches, in process against moto: POST /flags/evaluate and the
   OFREP bulk POST /ofrep/v1/evaluate/flags, with an SDK key. Also checks that warm requests make
   no AWS call.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(_name, None)
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1", "IDP_TABLE_PREFIX": "idp-bench", "IDP_JWT_SECRET": "bench-secret-that-is-long-enough-0123",
    "IDP_BCRYPT_ROUNDS": "4", "IDP_AUTH_CACHE_SECONDS": "60", "IDP_FLAG_CACHE_SECONDS": "60", "IDP_LOG_LEVEL": "ERROR",
    "POWERTOOLS_TRACE_DISABLED": "true",
})


def bench_pure(count: int = 1_000_000) -> None:
    from chalicelib.domain.evaluation import FlagRule, evaluate

    users = [f"user-{i}" for i in range(count)]
    for percentage in (50, 100):
        flag = FlagRule(key="bench-flag", enabled=True, environments=frozenset({"production"}),
                        rollout_percentage=percentage)
        started = time.perf_counter()
        for user in users:
            evaluate(flag, "production", user)
        elapsed = time.perf_counter() - started
        print(f"pure evaluator, rollout {percentage:3d} %: {count / elapsed:,.0f} evaluations/s "
              f"({count:,} in {elapsed:.2f} s, one core)")


def _timed(call, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def bench_handler(flag_count: int = 200, rounds: int = 300) -> None:
    import emulator
    import provision
    from moto import mock_aws

    emulator.make_dynamodb_atomic()
    with mock_aws():
        provision.provision(table_prefix="idp-bench")
        from chalice.test import Client

        from app import app
        from chalicelib.domain import flags, sdk_keys
        from chalicelib.domain.caller import Caller
        from tests.support import count_aws_calls

        system = Caller(kind="user", id="bench", email="bench@example.com", role="admin", request_id="bench")
        for i in range(flag_count):
            flags.create_flag(system, f"flag-{i:03d}", enabled=i % 5 != 0, environments=["production"] if i % 3 else [],
                              rollout_percentage=(i * 7) % 101)
        key = sdk_keys.create_key(system, "bench", "production")["key"]
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        native = json.dumps({"user_id": "user-42"})
        ofrep = json.dumps({"context": {"targetingKey": "user-42"}})
        with Client(app, stage_name="local") as client:
            def post_native():
                response = client.http.post("/flags/evaluate", headers=headers, body=native)
                assert response.status_code == 200, response.body

            def post_ofrep():
                response = client.http.post("/ofrep/v1/evaluate/flags", headers=headers, body=ofrep)
                assert response.status_code == 200, response.body

            def domain_only():
                flags.evaluate_flags(Caller(kind="sdk_key", id="k", environment="production"), None, "user-42", None)

            for call in (post_native, post_ofrep, domain_only):
                call()  # warm the credential and flag caches
            with count_aws_calls() as calls:
                results = {"POST /flags/evaluate (handler)": _timed(post_native, rounds),
                           "POST /ofrep/v1/evaluate/flags (handler)": _timed(post_ofrep, rounds),
                           "flags.evaluate_flags (domain only)": _timed(domain_only, rounds)}
            for name, times in results.items():
                times.sort()
                print(f"bulk {flag_count} flags, one user, warm, {name}: median {statistics.median(times):.2f} ms, "
                      f"p95 {times[int(len(times) * 0.95)]:.2f} ms ({rounds} rounds)")
            print(f"AWS calls during the warm rounds: {len(calls.calls)}")


if __name__ == "__main__":
    bench_pure()
    bench_handler()
