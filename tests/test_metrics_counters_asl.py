"""The counter states proposed to the deployment state machine (docs/operations-counters.asl.json)
run as written: one execution bumps the day and the hour item its outcome finished in, which is
what the summary and the failure-rate alert read."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import boto3

from chalicelib.domain import alerts, metrics
from tests.conftest import ROOT

SNIPPET = json.loads((ROOT / "docs" / "operations-counters.asl.json").read_text())


def _run(definition: dict) -> dict:
    client = boto3.client("stepfunctions", region_name="us-east-1")
    arn = client.create_state_machine(
        name=f"counters-{time.time_ns()}", definition=json.dumps(definition), type="STANDARD",
        roleArn="arn:aws:iam::123456789012:role/idp-test-states")["stateMachineArn"]
    execution = client.start_execution(stateMachineArn=arn, input=json.dumps({"deployment_id": "d-1"}))
    try:
        for _ in range(200):  # bounded: the three states take milliseconds
            described = client.describe_execution(executionArn=execution["executionArn"])
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.05)
        raise AssertionError("the execution did not finish")
    finally:
        client.delete_state_machine(stateMachineArn=arn)


def test_the_counter_states_bump_the_day_and_hour_items_read_by_the_summary_and_the_alert():
    text = json.dumps({"StartAt": "CounterKeys", "States": SNIPPET["States"]}).replace(
        "${CountersTable}", "idp-test-counters")
    for _ in range(5):
        assert _run(json.loads(text))["status"] == "SUCCEEDED"
    now = datetime.now(UTC)
    summary = metrics.summary(2)  # two days: the test may run across midnight
    assert summary["totals"]["deployments"]["success"] == 5 and summary["success_rate"] == 1.0
    assert alerts.failure_rate_window(now) == {"success": 5, "failed": 0, "finished": 5}
    assert alerts.failure_rate_window(now + timedelta(hours=25))["finished"] == 0
