"""Helpers for tests: a small JSON client over Chalice's test client, and a count of the AWS calls
a block makes (both the benchmark's harness, bench/harness.py)."""
from __future__ import annotations

import contextlib
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


class Api:
    """JSON over Chalice's in-process test client (the same middleware and routing as Lambda)."""

    def __init__(self, client):
        self.client = client

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = None,
                headers: dict | None = None, raw: bytes | None = None) -> Reply:
        return Reply(*json_request(self.client, method, path, body, token=token, headers=headers, raw=raw))

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
