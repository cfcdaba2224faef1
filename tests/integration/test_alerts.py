"""Alert rules (the scheduled job), the alerts list, acknowledging, and publishing to SNS."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from app import app
from chalicelib.domain import alerts
from chalicelib.storage import base
from tests.conftest import overridden_settings
from tests.integration.conftest import OUTPUTS
from tests.integration.test_metrics import finish_deployment
from tests.support import count_aws_calls


def run_job() -> dict:
    """Run the alert rules the way EventBridge does: through Chalice's handler for the schedule."""
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                resources=["arn:aws:events:us-east-1:123456789012:rule/alert_rules"])
        return client.lambda_.invoke("alert_rules", event).payload


def open_alerts(api, token) -> list[dict]:
    reply = api.get("/alerts?status=open", token=token)
    assert reply.status == 200, reply.body
    return reply.body["items"]


def test_the_failure_rate_alert_opens_once_and_resolves_itself(api, viewer):
    for status in ["SUCCESS"] * 6 + ["FAILED"] * 4:
        finish_deployment(status)
    assert api.get("/metrics/summary?days=1", token=viewer.token).body["success_rate"] == 0.6
    report = run_job()
    assert report["opened"] == ["deployment_failure_rate"]
    [alert] = open_alerts(api, viewer.token)
    assert alert["rule"] == "deployment_failure_rate" and alert["severity"] == "critical"
    assert alert["status"] == "open" and alert["resolved_at"] is None and alert["acked_by"] is None
    assert "4 of 10" in alert["message"]

    assert run_job()["opened"] == []  # still failing: no second alert
    assert [a["id"] for a in open_alerts(api, viewer.token)] == [alert["id"]]

    for _ in range(10):  # 4 of 20 = 20 %: not more than the threshold
        finish_deployment("SUCCESS")
    assert run_job()["resolved"] == ["deployment_failure_rate"]
    assert open_alerts(api, viewer.token) == []
    [resolved] = api.get("/alerts?status=resolved", token=viewer.token).body["items"]
    assert resolved["id"] == alert["id"] and resolved["status"] == "resolved" and resolved["resolved_at"]
    assert run_job() == {"opened": [], "resolved": [], "notified": [], "published_hours": [],
                         "failure_rate_window": {"success": 16, "failed": 4, "finished": 20}}

    for _ in range(2):  # failing again later: a new alert
        finish_deployment("FAILED")
    assert run_job()["opened"] == ["deployment_failure_rate"]
    assert len(api.get("/alerts", token=viewer.token).body["items"]) == 2


def test_the_failure_rate_needs_five_finished_deployments_in_the_last_24_hours(api, viewer):
    for _ in range(4):
        finish_deployment("FAILED")
    assert run_job()["opened"] == []
    for _ in range(10):
        finish_deployment("FAILED", datetime.now(UTC) - timedelta(hours=25))
    finish_deployment("CANCELLED")
    report = run_job()
    assert report["opened"] == [] and report["failure_rate_window"]["finished"] == 4
    finish_deployment("FAILED", datetime.now(UTC) - timedelta(hours=23))
    assert run_job()["opened"] == ["deployment_failure_rate"]


def test_running_the_job_twice_at_once_opens_one_alert(api, viewer):
    from concurrent.futures import ThreadPoolExecutor

    for _ in range(5):
        finish_deployment("FAILED")
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(lambda _: alerts.run_rules(), range(4)))
    assert sum(len(r["opened"]) for r in reports) == 1
    assert len(open_alerts(api, viewer.token)) == 1


def test_a_registered_service_opens_an_info_alert_that_clears_after_a_day(api, viewer):
    service_id = "7a0c4f55-8f39-4c9f-9d57-3b1d6f0e2a11"
    with base.transaction() as transaction:
        record = alerts.service_registered(transaction, service_id, "payments")
    [alert] = open_alerts(api, viewer.token)
    assert alert["id"] == record.id and alert["rule"] == "service_registered" and alert["severity"] == "info"
    assert alert["subject"] == service_id and "payments" in alert["message"]
    assert run_job()["resolved"] == []
    with pytest.raises(base.TransactionCancelled), base.transaction() as transaction:
        alerts.service_registered(transaction, service_id, "payments")  # one open alert per subject
    report = alerts.run_rules(datetime.now(UTC) + timedelta(hours=24, minutes=1))
    assert report["resolved"] == [f"service_registered:{service_id}"]
    assert open_alerts(api, viewer.token) == []


def test_acknowledging_an_alert_is_audited_once(api, admin, developer, viewer):
    for _ in range(5):
        finish_deployment("FAILED")
    run_job()
    [alert] = open_alerts(api, viewer.token)
    assert api.post(f"/alerts/{alert['id']}/ack", token=viewer.token).status == 403
    reply = api.post(f"/alerts/{alert['id']}/ack", token=developer.token)
    assert reply.status == 200, reply.body
    assert reply.body["acked_by"] == developer.id and reply.body["status"] == "open"
    assert reply.body["version"] == alert["version"] + 1
    again = api.post(f"/alerts/{alert['id']}/ack", token=admin.token)
    assert again.status == 200 and again.body["acked_by"] == developer.id
    entries = api.get(f"/audit?resource_id={alert['id']}", token=admin.token).body["items"]
    assert [(e["action"], e["actor_id"], e["resource_type"]) for e in entries] == [("alert.ack", developer.id, "alert")]
    assert entries[0]["changes"] == {"acked_by": {"from": None, "to": developer.id}}
    assert api.get("/alerts?status=open", token=viewer.token).body["items"][0]["acked_by"] == developer.id


def test_acknowledging_an_unknown_or_malformed_id_is_404(api, developer):
    assert api.post("/alerts/00000000-0000-4000-8000-000000000000/ack", token=developer.token).status == 404
    assert api.post("/alerts/not-an-id/ack", token=developer.token).status == 404


def test_the_alert_list_is_newest_first_one_query_per_page_with_bound_cursors(api, viewer):
    ids = []
    for number in range(3):
        with base.transaction() as transaction:
            ids.append(alerts.service_registered(transaction, f"service-{number}", f"s{number}").id)
    seen = []
    cursor = None
    while True:
        path = "/alerts?limit=2" + (f"&cursor={cursor}" if cursor else "")
        with count_aws_calls() as calls:
            reply = api.get(path, token=viewer.token)
        assert reply.status == 200
        assert calls.count(operation="Query") == 1 and calls.scans == 0
        seen += [a["id"] for a in reply.body["items"]]
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break
        foreign = api.get(f"/alerts?status=open&limit=2&cursor={cursor}", token=viewer.token)
        assert foreign.status == 400 and foreign.body["errors"][0]["field"] == "cursor"
    assert seen == list(reversed(ids))
    reply = api.get("/alerts?status=acked", token=viewer.token)
    assert reply.status == 400 and reply.body["errors"][0]["field"] == "status"


@pytest.fixture
def alerts_topic(monkeypatch):
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic_arn = OUTPUTS["AlertsTopicArn"]  # the template's topic, as provisioned
    queue_url = sqs.create_queue(QueueName="idp-test-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(m["Body"]) for m in messages]

    with overridden_settings(IDP_ALERTS_TOPIC_ARN=topic_arn):
        yield received
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=queue_url)


def test_new_alerts_are_published_to_the_topic_once(alerts_topic):
    for _ in range(5):
        finish_deployment("FAILED")
    with base.transaction() as transaction:
        alerts.service_registered(transaction, "service-x", "billing")
    report = run_job()
    assert len(report["notified"]) == 2
    notifications = alerts_topic()
    assert sorted(n["Subject"] for n in notifications) == ["[CRITICAL] IDP alert: deployment_failure_rate",
                                                           "[INFO] IDP alert: service_registered"]
    bodies = {json.loads(n["Message"])["rule"]: json.loads(n["Message"]) for n in notifications}
    assert bodies["deployment_failure_rate"]["status"] == "open" and "5 of 5" in bodies["deployment_failure_rate"]["message"]
    assert run_job()["notified"] == [] and alerts_topic() == []
