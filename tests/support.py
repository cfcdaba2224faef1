"""Helpers for tests: a small JSON client over Chalice's test client, the check that every success
answer is what its route documents, and a count of the AWS calls a block makes (the client and the
count are the benchmark's harness, bench/harness.py)."""
from __future__ import annotations

import contextlib
import functools
import re
import time
from dataclasses import dataclass
from typing import Any

from bench.harness import Recorder, json_request


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


@functools.cache
def _route_patterns() -> list[tuple[re.Pattern, Any]]:
    from chalicelib.api.routing import ROUTES

    patterns = []
    # A literal segment wins over a parameter (/flags/evaluate before /flags/{key}), as in Chalice.
    for (method, path), spec in sorted(ROUTES.items(), key=lambda item: item[0][1].count("{")):
        pattern = re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path))
        patterns.append((re.compile(f"{re.escape(method)} {pattern}"), spec))
    return patterns


def route_of(method: str, path: str):
    """The route table's entry for a request, or None when no route serves that path."""
    target = f"{method.upper()} {path.split('?', 1)[0]}"
    return next((spec for pattern, spec in _route_patterns() if pattern.fullmatch(target)), None)


def check_documented_success(method: str, path: str, status: int, headers: dict, body: Any) -> None:
    """A 2xx answer is exactly what its route documents: the declared status, and a body its
    response model reads with no field missing, mistyped or undocumented (a ResponseModel; the
    OpenAPI document's own model names only its top). So a handler cannot drift from its route."""
    from chalicelib.api.schemas import ResponseModel

    spec = route_of(method, path)
    if spec is None or not 200 <= status < 300:
        return
    where = f"{method} {path} answered {status}"
    assert status == spec.status or status in spec.responses, f"{where}; its route documents {spec.status}"
    model = spec.response if status == spec.status else spec.responses[status]
    if model is None:
        assert body in (None, ""), f"{where} with a body its route documents none of: {body!r}"[:500]
        return
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    assert content_type.startswith("application/json"), f"{where} as {content_type!r}"
    parsed = model.model_validate(body)
    if issubclass(model, ResponseModel):
        documented = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
        assert documented == body, f"{where} with fields {model.__name__} does not document: {body!r}"[:2000]


class Api:
    """JSON over Chalice's in-process test client (the same middleware and routing as Lambda)."""

    def __init__(self, client):
        self.client = client

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = None,
                headers: dict | None = None, raw: bytes | None = None) -> Reply:
        status, response_headers, parsed = json_request(self.client, method, path, body, token=token,
                                                        headers=headers, raw=raw)
        check_documented_success(method, path, status, response_headers, parsed)
        return Reply(status, response_headers, parsed)

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


@contextlib.contextmanager
def count_aws_calls():
    """Count every AWS API call made in the block, by service and operation (``count()``,
    ``scans``): the benchmark's recorder, which sees boto3 clients and pynamodb's connection."""
    with Recorder() as recorder:
        yield recorder


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
