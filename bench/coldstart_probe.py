"""One cold start, inside a fresh interpreter: import a bundle's handler and answer one API
Gateway event through it, as the Lambda runtime does. Uses only the standard library before the
import, so it runs under ``python -I -S`` with nothing on ``sys.path`` but what it is given.

    python -I -S bench/coldstart_probe.py <health|services> <token or -> <dir> [<dir> ...]

The directories go on ``sys.path`` in that order (the bundle, then the runtime's boto3). Prints one
JSON line: the status, ``CLOCK_MONOTONIC`` when the answer was ready (comparable with the parent's
clock: it is system-wide), the import's and the request's seconds, and the AWS calls the request
made (a botocore hook installed after the import, so it costs the import nothing).
"""
import json
import sys
import time

STARTED = time.monotonic()


def event(path: str, token: str | None) -> dict:
    headers = {"accept": "application/json", "host": "bench.execute-api.us-east-1.amazonaws.com"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return {
        "resource": path, "path": path, "httpMethod": "GET", "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None, "body": None,
        "isBase64Encoded": False,
        "requestContext": {"resourcePath": path, "httpMethod": "GET", "requestId": "bench", "path": f"/api{path}",
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


def main() -> None:
    which, token, *paths = sys.argv[1:]
    sys.path[:0] = paths
    from app import app

    imported = time.monotonic()
    from botocore.client import BaseClient

    calls = []
    original = BaseClient._make_api_call

    def recording(client, operation, params):
        calls.append(operation)
        return original(client, operation, params)

    BaseClient._make_api_call = recording
    hooked = time.monotonic()
    response = app(event(f"/{which}", None if token == "-" else token), Context())
    done = time.monotonic()
    print(json.dumps({"status": response["statusCode"], "answered_at": done - (hooked - imported),
                      "import_s": imported - STARTED, "request_s": done - hooked, "aws_calls": calls,
                      "modules": len(sys.modules)}), flush=True)


if __name__ == "__main__":
    main()
