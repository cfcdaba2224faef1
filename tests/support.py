"""Helpers for tests: a small JSON client over Chalice's test client or real HTTP, and a botocore
hook that counts (and can forbid) AWS calls."""
from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient


@dataclass
class Reply:
    status: int
    headers: dict
    body: Any

    def header(self, name: str) -> str | None:
        return {k.lower(): v for k, v in self.headers.items()}.get(name.lower())


@dataclass
class Session:
    token: str
    user: dict

    @property
    def id(self) -> str:
        return self.user["id"]


class Api:
    """JSON over Chalice's in-process test client (the same middleware and routing as Lambda)."""

    def __init__(self, client):
        self.client = client

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = None,
                headers: dict | None = None, raw: bytes | None = None) -> Reply:
        all_headers = {"Content-Type": "application/json"}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = getattr(self.client.http, method.lower())(path, headers=all_headers, body=payload)
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Reply(response.status_code, dict(response.headers), parsed)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, email: str, password: str) -> Session:
        reply = self.post("/auth/login", {"email": email, "password": password})
        assert reply.status == 200, reply.body
        return Session(reply.body["access_token"], reply.body["user"])


class AwsCalls:
    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def count(self, service: str | None = None, operation: str | None = None) -> int:
        return sum(1 for s, o in self.calls if (service is None or s == service) and (operation is None or o == operation))

    @property
    def scans(self) -> int:
        return self.count(operation="Scan")


@contextlib.contextmanager
def count_aws_calls():
    """Count every AWS API call made in the block, by service and operation. Hooks botocore's one
    entry point for API calls, so boto3 clients and pynamodb's own connection are both seen."""
    recorder = AwsCalls()
    original = BaseClient._make_api_call

    def recording(client, operation_name, api_params):
        recorder.calls.append((client.meta.service_model.service_name, operation_name))
        return original(client, operation_name, api_params)

    BaseClient._make_api_call = recording
    try:
        yield recorder
    finally:
        BaseClient._make_api_call = original


def walk_pages(api, token: str, path: str, query: str, limit: int) -> tuple[list[list[dict]], list[int]]:
    """Every page of a list, following ``next_cursor``: the items of each page, and the DynamoDB
    Queries each page made."""
    pages, queries, cursor = [], [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        with count_aws_calls() as calls:
            reply = api.get(f"{path}?limit={limit}&{query}{suffix}", token=token)
        assert reply.status == 200, (path, query, reply.body)
        pages.append(reply.body["items"])
        queries.append(calls.count("dynamodb", "Query"))
        cursor = reply.body["next_cursor"]
        if cursor is None:
            return pages, queries
        assert len(pages) < 500, "the list does not end"


def wait_for_log(path, text: str, process, timeout: float = 60) -> str:
    """The log file's text once it holds ``text``; fails when the process exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text()
        if text in content:
            return content
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{content}")
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not logged in {timeout}s:\n{path.read_text()}")
