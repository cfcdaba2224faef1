"""/health in process: one call per dependency, and its probe knows every table of the template.
(tests/e2e/test_health.py stops and restarts a real emulator under a running stack.)"""
from __future__ import annotations

import json

from chalicelib.storage import health as probes
from tests.conftest import ROOT
from tests.support import count_aws_calls


def test_the_probe_asks_every_table_of_the_template_by_its_own_key():
    template = json.loads((ROOT / "infrastructure" / "template.json").read_text())
    tables = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            properties = resource["Properties"]
            suffix = properties["TableName"]["Fn::Sub"].removeprefix("${TablePrefix}-")
            tables[suffix] = tuple(k["AttributeName"] for k in sorted(properties["KeySchema"],
                                                                       key=lambda k: k["KeyType"] != "HASH"))
    assert probes.TABLE_KEYS == tables


def test_health_is_one_call_per_dependency(api):
    with count_aws_calls() as calls:
        reply = api.get("/health")
    assert reply.status == 200 and reply.body == {"status": "ok", "checks": {"dynamodb": "ok", "stepfunctions": "ok"}}
    assert sorted(calls.calls) == [("dynamodb", "BatchGetItem"), ("stepfunctions", "DescribeStateMachine")]
