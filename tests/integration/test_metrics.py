"""Business metrics: day counters bumped with the change they count, the summary read without a
Scan, EMF metrics printed once per invocation, tracing off without aws-xray-sdk."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.support import count_aws_calls

COUNTERS_TABLE = "idp-test-counters"
STATUS_FIELDS = {"SUCCESS": "deployments_success", "FAILED": "deployments_failed",
                 "CANCELLED": "deployments_cancelled"}


def finish_deployment(status: str, when: datetime | None = None) -> None:
    """What the deployment state machine does at the end of a deployment: UpdateItem
    ``ADD deployments_<status> :one`` on the day item and on the hour item (see README.md 'Operations')."""
    when = when or datetime.now(UTC)
    client = boto3.client("dynamodb", region_name="us-east-1")
    for key in (f"day#{when.strftime('%Y-%m-%d')}", f"hour#{when.strftime('%Y-%m-%dT%H')}"):
        client.update_item(TableName=COUNTERS_TABLE, Key={"pk": {"S": key}}, UpdateExpression="ADD #field :one",
                           ExpressionAttributeNames={"#field": STATUS_FIELDS[status]},
                           ExpressionAttributeValues={":one": {"N": "1"}})


def emf_documents(text: str) -> list[dict]:
    documents = []
    for line in text.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict) and "_aws" in parsed:
            documents.append(parsed)
    return documents


def test_ten_deployments_show_on_their_day_with_the_success_rate(api, viewer):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for status in ["SUCCESS"] * 6 + ["FAILED"] * 4:
        finish_deployment(status)
    finish_deployment("CANCELLED", yesterday)
    reply = api.get("/metrics/summary", token=viewer.token)
    assert reply.status == 200, reply.body
    summary = reply.body
    today = datetime.now(UTC).date()
    assert summary["days"] == 7 and len(summary["daily"]) == 7
    assert summary["to"] == today.isoformat() and summary["from"] == (today - timedelta(days=6)).isoformat()
    assert [day["date"] for day in summary["daily"]] == [(today - timedelta(days=6 - i)).isoformat() for i in range(7)]
    assert summary["daily"][-1]["deployments"] == {"success": 6, "failed": 4, "cancelled": 0, "triggered": 0}
    assert summary["daily"][-2]["deployments"] == {"success": 0, "failed": 0, "cancelled": 1, "triggered": 0}
    assert all(day["deployments"]["success"] == 0 for day in summary["daily"][:-1])
    assert summary["totals"]["deployments"] == {"success": 6, "failed": 4, "cancelled": 1, "triggered": 0}
    assert summary["success_rate"] == 0.6


def test_the_success_rate_is_null_without_finished_deployments_and_days_are_bounded(api, viewer):
    reply = api.get("/metrics/summary?days=1", token=viewer.token)
    assert reply.status == 200
    assert reply.body["success_rate"] is None and len(reply.body["daily"]) == 1
    assert reply.body["from"] == reply.body["to"]
    for bad in ("0", "91", "seven", "1.5"):
        reply = api.get(f"/metrics/summary?days={bad}", token=viewer.token)
        assert reply.status == 400, bad
        assert reply.body["errors"][0]["field"] == "days"
    assert api.get("/metrics/summary?weeks=1", token=viewer.token).status == 400


def test_the_summary_reads_one_item_per_day_with_one_batch_and_no_scan(api, viewer):
    finish_deployment("SUCCESS")
    for days in (1, 7, 90):
        with count_aws_calls() as calls:
            reply = api.get(f"/metrics/summary?days={days}", token=viewer.token)
        assert reply.status == 200
        assert len(calls.calls) <= days + 5, calls.calls
        assert calls.scans == 0 and calls.count(operation="Query") == 0
        assert calls.count(operation="BatchGetItem") == 1
    assert reply.body["totals"]["deployments"]["success"] == 1 and len(reply.body["daily"]) == 90


def test_logins_are_counted_with_their_audit_entry_and_as_emf_metrics(api, admin, capsys):
    capsys.readouterr()
    assert api.post("/auth/login", {"email": "admin@example.com", "password": "wrong-password"}).status == 401
    assert api.post("/auth/login", {"email": "nobody@example.com", "password": "wrong-password"}).status == 401
    api.login("admin@example.com", "admin-password-123")
    printed = capsys.readouterr().out
    metrics = [name for doc in emf_documents(printed) for definition in doc["_aws"]["CloudWatchMetrics"]
               for name in (m["Name"] for m in definition["Metrics"])]
    assert metrics.count("LoginFailed") == 2 and metrics.count("LoginSucceeded") == 1
    document = next(doc for doc in emf_documents(printed) if "LoginSucceeded" in doc)
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "IDP" and document["service"] == "idp"

    summary = api.get("/metrics/summary?days=1", token=admin.token).body
    # the admin fixture logged in once before this test's three attempts
    assert summary["daily"][0]["logins"] == {"succeeded": 2, "failed": 2}
    assert summary["totals"]["logins"] == {"succeeded": 2, "failed": 2}


def test_a_throttled_login_counts_nothing(api, admin, monkeypatch):
    for _ in range(5):
        api.post("/auth/login", {"email": "throttled@example.com", "password": "wrong-password"})
    assert api.post("/auth/login", {"email": "throttled@example.com", "password": "wrong-password"}).status == 429
    summary = api.get("/metrics/summary?days=1", token=admin.token).body
    assert summary["daily"][0]["logins"] == {"succeeded": 1, "failed": 5}


def test_a_request_that_counts_nothing_prints_no_metrics_and_no_warning(api, capsys):
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert api.get("/health").status == 200
    assert not [w for w in caught if "metrics" in str(w.message).lower()]
    assert emf_documents(capsys.readouterr().out) == []


def test_bump_daily_refuses_unknown_fields_and_events():
    from chalicelib.domain import metrics
    from chalicelib.storage import base

    with pytest.raises(ValueError, match="unknown counter field"):
        metrics.bump_daily(base.transaction(), "deployments_sucess")
    with pytest.raises(ValueError, match="unknown metric event"):
        metrics.count("ServiceDeleted")
    with pytest.raises(ValueError, match="at least one"):
        metrics.bump_daily(base.transaction())


def test_several_fields_bump_in_one_update_of_each_item():
    from chalicelib.domain import metrics
    from chalicelib.storage import base

    with base.transaction() as transaction:
        metrics.bump_daily(transaction, "deployments_triggered", "services_registered", hourly=True)
    totals = metrics.summary(1)["totals"]
    assert totals["deployments"]["triggered"] == 1 and totals["services_registered"] == 1


def test_bump_daily_commits_with_its_transaction_or_not_at_all():
    from chalicelib.domain import metrics
    from chalicelib.storage import base
    from chalicelib.storage.uniques import UniqueRecord

    with base.transaction() as transaction:
        transaction.save(UniqueRecord("service-name#one", owner_id="1"), condition=UniqueRecord.pk.does_not_exist())
        metrics.bump_daily(transaction, "services_registered", hourly=True)
    with pytest.raises(base.TransactionCancelled), base.transaction() as transaction:
        transaction.save(UniqueRecord("service-name#one", owner_id="2"), condition=UniqueRecord.pk.does_not_exist())
        metrics.bump_daily(transaction, "services_registered", hourly=True)
    summary = metrics.summary(1)
    assert summary["totals"]["services_registered"] == 1
    hour = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=COUNTERS_TABLE, Key={"pk": {"S": f"hour#{datetime.now(UTC).strftime('%Y-%m-%dT%H')}"}})["Item"]
    assert hour["services_registered"] == {"N": "1"} and "expires_at" in hour


BLOCK_XRAY = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "aws_xray_sdk" or name.startswith("aws_xray_sdk."):
            raise ImportError("aws_xray_sdk is not installed")
sys.meta_path.insert(0, Block())
from chalice.test import Client
from app import app
from chalicelib import observability
with Client(app, stage_name="local") as client:
    assert client.http.get("/openapi.json").status_code == 200
    assert observability.tracing.tracer is None
assert "aws_xray_sdk" not in sys.modules
print("ok")
"""

TRACED = """
from chalice.test import Client
from aws_lambda_powertools import Tracer
from app import app
from chalicelib import observability
with Client(app, stage_name="local") as client:
    assert client.http.get("/openapi.json").status_code == 200
assert isinstance(observability.tracing.tracer, Tracer)
print("ok")
"""


def _run(code: str, **env_changes) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_changes}
    for name in ("AWS_LAMBDA_FUNCTION_NAME", "LAMBDA_TASK_ROOT", "AWS_CHALICE_CLI_MODE", "AWS_SAM_LOCAL"):
        if name not in env_changes:
            env.pop(name, None)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("settings", [
    {"IDP_TRACING": "false", "POWERTOOLS_TRACE_DISABLED": "false", "LAMBDA_TASK_ROOT": "/var/task"},
    {"IDP_TRACING": "true", "POWERTOOLS_TRACE_DISABLED": "true", "LAMBDA_TASK_ROOT": "/var/task"},
    {"IDP_TRACING": "true", "POWERTOOLS_TRACE_DISABLED": "false"},  # locally: not in Lambda
], ids=["IDP_TRACING=false", "POWERTOOLS_TRACE_DISABLED", "outside-lambda"])
def test_with_tracing_off_the_app_runs_without_aws_xray_sdk(settings):
    result = _run(BLOCK_XRAY, **settings)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]


def test_with_tracing_on_in_lambda_the_handlers_run_under_the_powertools_tracer():
    result = _run(TRACED, IDP_TRACING="true", POWERTOOLS_TRACE_DISABLED="false", LAMBDA_TASK_ROOT="/var/task",
                  AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR")
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]


def test_closed_hours_publish_their_deployment_outcomes_once_at_their_time(capsys):
    from chalicelib.domain import metrics

    hour = (datetime.now(UTC) - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    for status in ("SUCCESS", "SUCCESS", "FAILED"):
        finish_deployment(status, hour + timedelta(minutes=59))
    capsys.readouterr()
    assert metrics.publish_closed_hours(hour + timedelta(hours=1, minutes=2)) == []  # still within the grace
    assert metrics.publish_closed_hours(hour + timedelta(hours=1, minutes=6)) == [f"hour#{hour:%Y-%m-%dT%H}"]
    assert metrics.publish_closed_hours(hour + timedelta(hours=1, minutes=11)) == []  # once only
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=COUNTERS_TABLE, Key={"pk": {"S": f"hour#{hour:%Y-%m-%dT%H}"}})["Item"]
    assert int(item["expires_at"]["N"]) > datetime.now(UTC).timestamp() + 13 * 86400  # the table's TTL removes it
    [document] = emf_documents(capsys.readouterr().out)
    assert document["_aws"]["Timestamp"] == int(hour.timestamp() * 1000)
    assert (document["DeploymentSucceeded"], document["DeploymentFailed"], document["DeploymentCancelled"]) == ([2], [1], [0])
