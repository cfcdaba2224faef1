"""The template's operations resources: the alerts topic, the CloudWatch alarms of the seed's rules,
and point-in-time recovery / deletion protection on every table."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import provision

from tests.conftest import ROOT
from tests.integration.conftest import OUTPUTS

TEMPLATE = json.loads((ROOT / "infrastructure" / "template.json").read_text())
RESOURCES = TEMPLATE["Resources"]
TABLES = {name: res for name, res in RESOURCES.items() if res["Type"] == "AWS::DynamoDB::Table"}
ALARMS = {name: res["Properties"] for name, res in RESOURCES.items() if res["Type"] == "AWS::CloudWatch::Alarm"}


def _metrics_of(alarm: dict) -> list[dict]:
    if "MetricName" in alarm:
        return [{"Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"],
                 "Dimensions": alarm.get("Dimensions", [])}]
    return [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]


def test_every_table_has_point_in_time_recovery_deletion_protection_and_is_retained():
    assert len(TABLES) >= 11
    for name, table in TABLES.items():
        props = table["Properties"]
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        assert props["DeletionProtectionEnabled"] == {"Ref": "DeletionProtection"}, name
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain", name
    assert TEMPLATE["Parameters"]["DeletionProtection"]["Default"] == "true"


def test_every_alarm_notifies_the_alerts_topic():
    assert RESOURCES["AlertsTopic"]["Type"] == "AWS::SNS::Topic"
    assert TEMPLATE["Outputs"]["AlertsTopicArn"]["Value"] == {"Ref": "AlertsTopic"}
    assert ALARMS
    for name, alarm in ALARMS.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}], name
        assert alarm["OKActions"] == [{"Ref": "AlertsTopic"}], name


def test_the_seed_rules_have_their_alarms():
    latency = ALARMS["ApiLatencyP95Alarm"]
    assert (latency["Namespace"], latency["MetricName"], latency["ExtendedStatistic"]) == ("AWS/ApiGateway", "Latency", "p95")
    assert latency["Threshold"] == 2000 and latency["ComparisonOperator"] == "GreaterThanThreshold"
    assert latency["Dimensions"] == [{"Name": "ApiName", "Value": {"Ref": "ApiName"}}]
    assert TEMPLATE["Parameters"]["ApiName"]["Default"] == "idp"  # Chalice names the REST API after app_name
    assert ALARMS["LambdaErrorsAlarm"]["MetricName"] == "Errors"
    executions = _metrics_of(ALARMS["DeploymentExecutionsFailedAlarm"])
    assert {m["MetricName"] for m in executions} == {"ExecutionsFailed", "ExecutionsTimedOut"}
    assert all(m["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "DeploymentStateMachine"}}]
               for m in executions)
    watched = {}
    for alarm in ALARMS.values():
        for metric in _metrics_of(alarm):
            if metric["Namespace"] == "AWS/DynamoDB":
                table = metric["Dimensions"][0]["Value"]["Ref"]
                watched.setdefault(table, set()).add(metric["MetricName"])
    assert watched == {name: {"ReadThrottleEvents", "WriteThrottleEvents"} for name in TABLES}


def test_cfn_lint_accepts_the_template():
    lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    result = subprocess.run([lint, str(ROOT / "infrastructure" / "template.json")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_emulator_stack_has_the_topic_and_leaves_the_alarms_to_aws():
    topic_arn = OUTPUTS["AlertsTopicArn"]
    attributes = boto3.client("sns", region_name="us-east-1").get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attributes["TopicArn"].endswith(":idp-test-alerts")
    stack_template, _machines = provision.split_template(provision.load_template())
    assert not [r for r in stack_template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert "AlertsTopic" in stack_template["Resources"]
