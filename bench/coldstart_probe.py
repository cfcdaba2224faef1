"""One cold start, measured inside a fresh process: import the app (or the bare reference app)
and answer one GET /health through the Lambda handler. Prints the seconds as one JSON line.

    python bench/coldstart_probe.py app|bare <project root>

The clock starts when this file starts running (the interpreter's own start-up is the same for
both and is not ours). The data-store time of the /health answer is measured by hooking botocore
*after* the imports, so the hook costs the imports nothing.
"""
from __future__ import annotations

import json
import sys
import time

STARTED = time.perf_counter()
EVENT = {
    "resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {"accept": "application/json"},
    "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
    "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "requestId": "bench", "path": "/api/health",
                       "identity": {"sourceIp": "127.0.0.1"}, "stage": "api"},
}


class Context:
    function_name = "bench"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def _time_aws_calls() -> list[tuple[float, float]]:
    from botocore.client import BaseClient

    spans: list[tuple[float, float]] = []
    original = BaseClient._make_api_call

    def timed(client, operation, params):
        started = time.perf_counter()
        try:
            return original(client, operation, params)
        finally:
            spans.append((started, time.perf_counter()))

    BaseClient._make_api_call = timed
    return spans


def _covered(spans: list[tuple[float, float]]) -> float:
    """Wall time during which at least one AWS call was in flight (calls may run in parallel)."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def main() -> None:
    which = sys.argv[1]
    if which == "app":
        sys.path.insert(0, sys.argv[2])
        from app import app
    else:
        import boto3
        from chalice import Chalice

        app = Chalice(app_name="bare")
        client = boto3.client("dynamodb")

        @app.route("/health")
        def health():
            return {"status": "ok", "client": client.meta.service_model.service_name}

    imported = time.perf_counter()
    spans = _time_aws_calls()
    hooked = time.perf_counter()
    response = app(EVENT, Context())
    done = time.perf_counter()
    print(json.dumps({"status": response["statusCode"], "import_s": imported - STARTED,
                      "request_s": done - hooked, "datastore_s": _covered(spans), "aws_calls": len(spans),
                      "total_s": (imported - STARTED) + (done - hooked)}))


if __name__ == "__main__":
    main()
