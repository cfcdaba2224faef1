"""One cold start, measured inside a fresh process: import the app (or the bare reference app)
and answer one GET /health through the Lambda handler. Prints the seconds as JSON."""
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
    response = app(EVENT, Context())
    done = time.perf_counter()
    print(json.dumps({"status": response["statusCode"], "import_s": imported - STARTED, "total_s": done - STARTED}))


if __name__ == "__main__":
    main()
