"""The in-process harness, shared with the tests (tests/support.py): JSON requests through
Chalice's test client (the Lambda handler path: the same middleware and routing), and a recorder
of the AWS calls made meanwhile."""
from __future__ import annotations

import json
import time
from typing import Any


def json_request(client, method: str, path: str, body: Any = None, *, token: str | None = None,
                 headers: dict | None = None, raw: bytes | None = None) -> tuple[int, dict, Any]:
    """One request through a ``chalice.test.Client``: the status, the headers and the body (parsed
    when it is JSON)."""
    all_headers = {"Content-Type": "application/json"}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    response = getattr(client.http, method.lower())(path, headers=all_headers, body=payload)
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return response.status_code, dict(response.headers), parsed


class Recorder:
    """Records every AWS call made while active (service, operation, time span, and the
    ScannedCount of Query and Scan) through botocore's one entry point for API calls, which boto3
    clients and pynamodb's connection both go through."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.scanned: list[int] = []
        self.spans: list[tuple[float, float]] = []
        self._original = None

    @property
    def aws_seconds(self) -> float:
        """Wall time during which at least one AWS call was in flight (calls may run in parallel)."""
        total, end = 0.0, float("-inf")
        for start, stop in sorted(self.spans):
            if stop > end:
                total += stop - max(start, end)
                end = stop
        return total

    def count(self, service: str | None = None, operation: str | None = None) -> int:
        return sum(1 for s, o in self.calls if (service is None or s == service) and (operation is None or o == operation))

    @property
    def scans(self) -> int:
        return self.count(operation="Scan")

    def __enter__(self) -> Recorder:
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        recorder = self

        def recording(client, operation, params):
            started = time.perf_counter()
            try:
                response = original(client, operation, params)
            finally:
                recorder.spans.append((started, time.perf_counter()))
                recorder.calls.append((client.meta.service_model.service_name, operation))
            if operation in ("Query", "Scan"):
                recorder.scanned.append(int(response.get("ScannedCount", 0)))
            return response

        BaseClient._make_api_call = recording
        return self

    def __exit__(self, *exc) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original

    def reset(self) -> None:
        self.calls.clear()
        self.scanned.clear()
        self.spans.clear()


class Harness:
    """The app in this process, through Chalice's test client, against the emulator."""

    def __init__(self) -> None:
        from chalice.test import Client

        from app import app

        self.client = Client(app, stage_name="local")
        self.app = app

    def call(self, method: str, path: str, body=None, token: str | None = None, headers: dict | None = None):
        status, _, parsed = json_request(self.client, method, path, body, token=token, headers=headers)
        return status, parsed
