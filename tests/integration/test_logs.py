"""Service log lines: appending (single and batch), reading newest first with combined filters,
paging with one Query per page, a deployment's lines oldest first, retention through TTL."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import ValidationFailed
from chalicelib.domain import deployments as deployment_domain
from chalicelib.domain import logs
from chalicelib.storage.logs import LogRecord
from tests.conftest import overridden_settings
from tests.support import count_aws_calls

LINE_FIELDS = {"id", "service_id", "deployment_id", "timestamp", "level", "message", "metadata"}
BASE = clock.parse_iso("2026-03-01T12:00:00Z")


def _at(seconds: float) -> str:
    return clock.iso(BASE + timedelta(seconds=seconds))


@pytest.fixture
def service(api, developer):
    reply = api.post("/services", {"name": f"logs-{uuid.uuid4().hex[:8]}"}, token=developer.token)
    assert reply.status == 201
    return reply.body


def _read_all(api, session, service_id, query="", limit=100):
    items, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        reply = api.get(f"/services/{service_id}/logs?limit={limit}{query}{suffix}", token=session.token)
        assert reply.status == 200, reply.body
        items += reply.body["items"]
        cursor = reply.body["next_cursor"]
        if cursor is None:
            return items


def test_appended_lines_read_back_newest_first_with_every_field(api, viewer, service):
    first = logs.append(service["id"], "INFO", "starting", timestamp=_at(0))
    deployment_id = str(uuid.uuid4())
    second = logs.append(service["id"], "ERROR", "boom", deployment_id=deployment_id, metadata={"step": "Build"},
                         timestamp=_at(1))
    reply = api.get(f"/services/{service['id']}/logs", token=viewer.token)
    assert reply.status == 200
    assert reply.body["next_cursor"] is None
    assert reply.body["items"] == [second, first]
    assert set(second) == LINE_FIELDS
    assert second == {"id": second["id"], "service_id": service["id"], "deployment_id": deployment_id,
                      "timestamp": "2026-03-01T12:00:01.000Z", "level": "ERROR", "message": "boom",
                      "metadata": {"step": "Build"}}
    assert first["deployment_id"] is None and first["metadata"] == {}


def test_a_batch_is_written_with_batch_write_calls_not_one_put_per_line(api, viewer, service):
    lines = [logs.LogLine(service["id"], "DEBUG", f"line {i}", timestamp=_at(i)) for i in range(60)]
    with count_aws_calls() as calls:
        written = logs.append_many(lines)
    assert calls.count("dynamodb", "BatchWriteItem") == 3 and calls.count("dynamodb", "PutItem") == 0
    assert len(written) == 60
    read = _read_all(api, viewer, service["id"])
    assert [line["message"] for line in read] == [f"line {i}" for i in reversed(range(60))]
    # Mappings work as well as LogLine objects.
    logs.append_many([{"service_id": service["id"], "level": "WARN", "message": "as a dict"}])
    assert api.get(f"/services/{service['id']}/logs?limit=1", token=viewer.token).body["items"][0]["message"] == "as a dict"


def test_invalid_lines_are_refused_before_anything_is_written(api, viewer, service):
    good = logs.LogLine(service["id"], "INFO", "fine")
    for bad, field in [(logs.LogLine(service["id"], "TRACE", "x"), "level"),
                       (logs.LogLine(service["id"], "info", "x"), "level"),
                       (logs.LogLine("", "INFO", "x"), "service_id"),
                       (logs.LogLine(service["id"], "INFO", "x", metadata=["not", "a", "map"]), "metadata"),
                       (logs.LogLine(service["id"], "INFO", "x", metadata={"at": object()}), "metadata"),
                       (logs.LogLine(service["id"], "INFO", "x", timestamp="yesterday"), "timestamp")]:
        with pytest.raises(ValidationFailed) as refused:
            logs.append_many([good, bad])
        assert refused.value.errors[0]["field"] == field
    assert api.get(f"/services/{service['id']}/logs", token=viewer.token).body["items"] == []


def test_a_huge_message_is_cut_not_refused(service):
    line = logs.append(service["id"], "INFO", "x" * 100_000)
    assert len(line["message"]) == logs.MAX_MESSAGE_CHARS and line["message"].endswith("[truncated]")


def test_lines_expire_after_the_retention_setting(service, monkeypatch):
    line = logs.append(service["id"], "INFO", "default retention", timestamp=_at(0))
    record = next(LogRecord.query(service["id"]))
    assert record.expires_at == int(BASE.timestamp()) + 30 * 86_400
    assert record.sort_key == f"{line['timestamp']}#{line['id']}"

    with overridden_settings(IDP_LOG_RETENTION_DAYS="7"):
        logs.append(service["id"], "INFO", "short retention", timestamp=_at(10))
    newest = next(LogRecord.query(service["id"], scan_index_forward=False))
    assert newest.expires_at == int(BASE.timestamp()) + 10 + 7 * 86_400

    # DynamoDB deletes expired lines itself; the template switches TTL on for this attribute (moto's
    # CloudFormation ignores TimeToLiveSpecification and moto never expires items, so check the source).
    template = json.loads((Path(__file__).resolve().parents[2] / "infrastructure" / "template.json").read_text())
    assert template["Resources"]["LogsTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at", "Enabled": True}


@pytest.fixture
def mixed_lines(service):
    """40 lines over 40 seconds, across two deployments and no deployment, all four levels."""
    deployments = [str(uuid.uuid4()), str(uuid.uuid4())]
    lines = []
    for i in range(40):
        deployment = deployments[i % 3] if i % 3 < 2 else None
        lines.append(logs.LogLine(service["id"], logs.LEVELS[i % 4], f"m{i}", deployment_id=deployment,
                                  metadata={"i": i}, timestamp=_at(i)))
    written = logs.append_many(lines)
    return deployments, written


def _expected(written, *, level=None, deployment_id=None, since=None, until=None):
    chosen = [line for line in written
              if (level is None or line["level"] == level)
              and (deployment_id is None or line["deployment_id"] == deployment_id)
              and (since is None or line["timestamp"] >= since)
              and (until is None or line["timestamp"] <= until)]
    return sorted(chosen, key=lambda line: line["timestamp"], reverse=True)


def test_filters_combine(api, viewer, service, mixed_lines):
    deployments, written = mixed_lines
    since, until = _at(5), _at(30)
    cases = [
        {},
        {"level": "ERROR"},
        {"deployment_id": deployments[0]},
        {"since": since},
        {"until": until},
        {"since": since, "until": until},
        {"level": "INFO", "since": since, "until": until},
        {"level": "WARN", "deployment_id": deployments[1]},
        {"level": "DEBUG", "deployment_id": deployments[0], "since": since, "until": until},
        {"deployment_id": deployments[1], "since": since, "until": since},
        {"deployment_id": str(uuid.uuid4())},
    ]
    for filters in cases:
        query = "".join(f"&{name}={value}" for name, value in filters.items())
        got = _read_all(api, viewer, service["id"], query, limit=4)
        assert got == _expected(written, **filters), filters
    # Sanity: the combined cases are not trivially empty or everything.
    assert 0 < len(_expected(written, level="DEBUG", deployment_id=deployments[0], since=since, until=until)) < 40
    # since == until is one instant, inclusive on both ends.
    assert [line["message"] for line in _read_all(api, viewer, service["id"], f"&since={_at(7)}&until={_at(7)}")] \
        == ["m7"]


def test_time_filters_accept_any_iso_form_of_the_same_instant(api, viewer, service, mixed_lines):
    got = _read_all(api, viewer, service["id"], "&since=2026-03-01T13:00:10%2B01:00&until=2026-03-01T12:00:12")
    assert [line["message"] for line in got] == ["m12", "m11", "m10"]


def test_the_deployment_filter_only_returns_this_services_lines(api, viewer, developer, service):
    other = api.post("/services", {"name": "other-service"}, token=developer.token).body
    deployment_id = str(uuid.uuid4())
    logs.append(service["id"], "INFO", "mine", deployment_id=deployment_id)
    logs.append(other["id"], "INFO", "not mine", deployment_id=deployment_id)  # a mislabelled line
    got = _read_all(api, viewer, service["id"], f"&deployment_id={deployment_id}")
    assert [line["message"] for line in got] == ["mine"]


def test_key_served_pages_are_one_query_and_filtered_pages_are_full(api, viewer, service, mixed_lines):
    deployments, written = mixed_lines
    # `level` is a residual filter (no index): its pages read on until full, so may take more Queries.
    for query in ("", "&level=INFO", f"&deployment_id={deployments[0]}", f"&since={_at(3)}&until={_at(33)}"):
        seen, cursor, sizes = [], None, []
        while True:
            with count_aws_calls() as calls:
                reply = api.get(f"/services/{service['id']}/logs?limit=3{query}" + (f"&cursor={cursor}" if cursor else ""),
                                token=viewer.token)
            assert reply.status == 200
            assert calls.scans == 0, (query, calls.calls)
            if "level" not in query:
                assert calls.count("dynamodb", "Query") == 1, (query, calls.calls)
            sizes.append(len(reply.body["items"]))
            seen += [line["id"] for line in reply.body["items"]]
            cursor = reply.body["next_cursor"]
            if cursor is None:
                break
        assert all(size == 3 for size in sizes[:-1]) and 0 < sizes[-1] <= 3, (query, sizes)
        assert len(seen) == len(set(seen)) and len(seen) > 0, query


def test_bad_log_queries_are_400_naming_the_parameter(api, viewer, service, mixed_lines):
    path = f"/services/{service['id']}/logs"
    cursor = api.get(f"{path}?limit=2", token=viewer.token).body["next_cursor"]
    filtered_cursor = api.get(f"{path}?limit=2&level=INFO", token=viewer.token).body["next_cursor"]
    assert cursor and filtered_cursor
    cases = [
        (f"since={_at(10)}&until={_at(5)}", "since"),
        ("level=TRACE", "level"), ("level=info", "level"),
        ("deployment_id=not-an-id", "deployment_id"),
        ("since=yesterday", "since"), ("until=2026-13-01T00:00:00Z", "until"),
        ("limit=0", "limit"), ("limit=101", "limit"),
        ("cursor=forged", "cursor"),
        (f"level=INFO&cursor={cursor}", "cursor"),  # a cursor issued for other filters
        (f"cursor={filtered_cursor}", "cursor"),
        ("grep=boom", "grep"),
    ]
    for query, field in cases:
        reply = api.get(f"{path}?{query}", token=viewer.token)
        assert reply.status == 400, (query, reply.body)
        assert field in [e["field"] for e in reply.body["errors"]], (query, reply.body)


def test_a_cursor_of_one_service_is_refused_for_another(api, viewer, developer, service, mixed_lines):
    other = api.post("/services", {"name": "second-one"}, token=developer.token).body
    cursor = api.get(f"/services/{service['id']}/logs?limit=2", token=viewer.token).body["next_cursor"]
    assert api.get(f"/services/{other['id']}/logs?limit=2&cursor={cursor}", token=viewer.token).status == 400
    assert api.get(f"/services/{service['id']}/logs?limit=2&cursor={cursor}", token=viewer.token).status == 200


def test_unknown_services_are_404_and_deleted_ones_keep_their_lines(api, viewer, developer, service):
    assert api.get(f"/services/{uuid.uuid4()}/logs", token=viewer.token).status == 404
    assert api.get("/services/not-a-uuid/logs", token=viewer.token).status == 404
    logs.append(service["id"], "INFO", "before the end")
    assert api.delete(f"/services/{service['id']}", token=developer.token).status == 204
    reply = api.get(f"/services/{service['id']}/logs", token=viewer.token)
    assert reply.status == 200 and [line["message"] for line in reply.body["items"]] == ["before the end"]


def test_a_deployments_lines_read_oldest_first_in_pages(service, mixed_lines):
    deployments, written = mixed_lines
    mine = sorted((line for line in written if line["deployment_id"] == deployments[0]), key=lambda x: x["timestamp"])
    seen, cursor = [], None
    while True:
        with count_aws_calls() as calls:
            page = deployment_domain.list_logs(deployments[0], limit=4, cursor=cursor)
        assert calls.count("dynamodb", "Query") == 1 and calls.scans == 0
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == mine and len(mine) == 14
    errors = deployment_domain.list_logs(deployments[0], limit=100, cursor=None, level="ERROR")["items"]
    assert errors == [line for line in mine if line["level"] == "ERROR"]
    window = deployment_domain.list_logs(deployments[0], limit=100, cursor=None, since=_at(10), until=_at(20))["items"]
    assert window == [line for line in mine if _at(10) <= line["timestamp"] <= _at(20)]
    with pytest.raises(ValidationFailed):
        deployment_domain.list_logs(deployments[1], limit=10,
                                    cursor=deployment_domain.list_logs(deployments[0], limit=2, cursor=None)["next_cursor"])
