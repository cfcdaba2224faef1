"""Probes for /health, one call per dependency, on clients with a short timeout and no retries so a
dead dependency answers within about a second:

- DynamoDB: one BatchGetItem asking every table for a key that never exists. It fails as a whole
  (``ResourceNotFoundException``) when any table is missing, and it proves what the function
  needs: that it can read each table. Eleven DescribeTables (control-plane calls, rate-limited)
  cost eleven round trips for less.
- Step Functions: DescribeStateMachine (once the state machine is configured).
"""
from __future__ import annotations

from chalicelib.core import aws
from chalicelib.core.settings import get_settings

PROBE = "idp-health-probe"  # no item has this key: the probe reads nothing and writes nothing
# Every table and its key attributes (infrastructure/template.json; a test holds this to it).
TABLE_KEYS = {
    "users": ("id",), "uniques": ("pk",), "audit": ("id",), "counters": ("pk",), "services": ("id",),
    "service-tags": ("tag", "sort_key"),
    "deployments": ("id",), "logs": ("service_id", "sort_key"), "flags": ("key",), "sdk-keys": ("id",),
    "idempotency": ("id",), "alerts": ("id",),
}


def _client(service: str):
    return aws.client(service, fail_fast=True)


def _dynamodb() -> str:
    settings = get_settings()
    request = {settings.table_name(suffix): {"Keys": [{name: {"S": PROBE} for name in key}]}
               for suffix, key in TABLE_KEYS.items()}
    try:
        _client("dynamodb").batch_get_item(RequestItems=request)
    except Exception as error:  # noqa: BLE001 - any failure is "down", named without internals
        return f"unavailable ({type(error).__name__})"
    return "ok"


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
