"""Probes for /health: DescribeTable of every table (and the state machine once it exists), on a
client with a short timeout and no retries so a dead dependency answers within about a second."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib.core import aws
from chalicelib.core.settings import get_settings

TABLE_SUFFIXES = ("users", "uniques", "audit", "counters", "services", "deployments", "logs", "flags",
                  "sdk-keys", "idempotency", "alerts")


def _client(service: str):
    return aws.client(service, fail_fast=True)


def _table_status(client, suffix: str) -> str:
    try:
        status = client.describe_table(TableName=get_settings().table_name(suffix))["Table"]["TableStatus"]
    except Exception as error:  # noqa: BLE001 - any failure is "down", named without internals
        return f"unavailable ({type(error).__name__})"
    return "ok" if status in ("ACTIVE", "UPDATING") else f"table {suffix} is {status.lower()}"


def _dynamodb() -> str:
    client = _client("dynamodb")
    # The tables are checked in parallel: health costs one round trip, not eleven.
    with ThreadPoolExecutor(max_workers=len(TABLE_SUFFIXES)) as pool:
        results = list(pool.map(lambda suffix: _table_status(client, suffix), TABLE_SUFFIXES))
    failures = [result for result in results if result != "ok"]
    return failures[0] if failures else "ok"


def _stepfunctions() -> str:
    arn = get_settings().state_machine_arn
    if arn is None:
        return "not configured"
    try:
        _client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    except Exception as error:  # noqa: BLE001
        return f"unavailable ({type(error).__name__})"
    return "ok"


def run_all() -> dict[str, str]:
    checks = {"dynamodb": _dynamodb()}
    if get_settings().state_machine_arn is not None:
        checks["stepfunctions"] = _stepfunctions()
    return checks
