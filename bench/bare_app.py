"""The reference handler of the packaged cold start (copied as ``app.py`` into its own bundle): a
bare Chalice app with boto3 that makes the same two clients as ours (DynamoDB, Step Functions) and
the same calls for the same two requests, and nothing else.

- ``GET /health``: one BatchGetItem over every table, DescribeStateMachine;
- ``GET /services`` (with a bearer token): the caller's user by key (GetItem), the first page of
  the services list (Query on ``by_list``).
"""
import os

import boto3
from chalice import Chalice

app = Chalice(app_name="bare")
PREFIX = os.environ["IDP_TABLE_PREFIX"]
TABLES = {"users": ("id",), "uniques": ("pk",), "audit": ("id",), "counters": ("pk",), "services": ("id",),
          "service-tags": ("tag", "sort_key"), "deployments": ("id",), "logs": ("service_id", "sort_key"),
          "flags": ("key",), "sdk-keys": ("id",), "idempotency": ("id",), "alerts": ("id",)}
dynamodb = boto3.client("dynamodb")
stepfunctions = boto3.client("stepfunctions")


@app.route("/health")
def health():
    dynamodb.batch_get_item(RequestItems={f"{PREFIX}-{table}": {"Keys": [{name: {"S": "probe"} for name in key}]}
                                          for table, key in TABLES.items()})
    stepfunctions.describe_state_machine(stateMachineArn=os.environ["IDP_STATE_MACHINE_ARN"])
    return {"status": "ok"}


@app.route("/services")
def services():
    dynamodb.get_item(TableName=f"{PREFIX}-users", Key={"id": {"S": os.environ["IDP_BENCH_USER_ID"]}})
    page = dynamodb.query(TableName=f"{PREFIX}-services", IndexName="by_list", Limit=21, ScanIndexForward=False,
                          KeyConditionExpression="list_pk = :pk", ExpressionAttributeValues={":pk": {"S": "service"}})
    return {"items": [item["id"]["S"] for item in page["Items"]][:20]}
