"""Service log lines: the one place that writes them (the deployment engine and any other code
call :func:`append` / :func:`append_many`) and reads them.

A line belongs to a service and optionally a deployment. It is stored under the service with the
range key ``<timestamp>#<id>`` and expires through DynamoDB TTL (``expires_at``) after
``IDP_LOG_RETENTION_DAYS`` counted from its own timestamp. Reading never Scans: a service's lines
are one Query on the table, one deployment's lines one Query on ``by_deployment``."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core import clock
from chalicelib.core.errors import ValidationFailed
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings
from chalicelib.domain import services
from chalicelib.storage import logs as store

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
# A line longer than this is cut (with a marker) rather than refused: a log write must not fail.
MAX_MESSAGE_CHARS = 8192
TRUNCATED = " [truncated]"
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class LogLine:
    """One line to append. ``timestamp`` (ISO 8601 or a datetime) defaults to now."""

    service_id: str
    level: str
    message: str
    deployment_id: str | None = None
    metadata: Mapping[str, Any] | None = None
    timestamp: str | datetime | None = None


def _timestamp(value: str | datetime | None) -> str:
    if value is None:
        return clock.now_iso()
    try:
        return clock.iso(value if isinstance(value, datetime) else clock.parse_iso(value))
    except (ValueError, TypeError, OverflowError):
        raise ValidationFailed.field("timestamp", "not an ISO 8601 timestamp") from None


def new_record(line: LogLine):
    """Validate a line and build its item (not yet written)."""
    if not line.service_id:
        raise ValidationFailed.field("service_id", "a log line belongs to a service")
    if line.level not in LEVELS:
        raise ValidationFailed.field("level", f"must be one of {', '.join(LEVELS)}")
    if not isinstance(line.message, str):
        raise ValidationFailed.field("message", "must be a string")
    if line.metadata is not None:
        if not isinstance(line.metadata, Mapping):
            raise ValidationFailed.field("metadata", "must be an object")
        try:
            json.dumps(line.metadata)
        except (TypeError, ValueError):
            raise ValidationFailed.field("metadata", "must be JSON-serialisable") from None
    message = line.message
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS - len(TRUNCATED)] + TRUNCATED
    timestamp = _timestamp(line.timestamp)
    line_id = clock.new_id()
    retention = get_settings().log_retention_days * SECONDS_PER_DAY
    return store.new_line(
        line.service_id,
        line_id=line_id,
        deployment_id=line.deployment_id,
        timestamp=timestamp,
        level=line.level,
        message=message,
        metadata=dict(line.metadata) if line.metadata is not None else None,
        expires_at=int(clock.parse_iso(timestamp).timestamp()) + retention,
    )


def to_dict(record) -> dict:
    return {
        "id": record.id,
        "service_id": record.service_id,
        "deployment_id": record.deployment_id,
        "timestamp": clock.ours(record.timestamp),  # the state machine writes lines too
        "level": record.level,
        "message": record.message,
        "metadata": record.metadata if record.metadata is not None else {},
    }


def append(service_id: str, level: str, message: str, *, deployment_id: str | None = None,
           metadata: Mapping[str, Any] | None = None, timestamp: str | datetime | None = None) -> dict:
    """Write one log line (one PutItem) and return it as the API shows it."""
    record = new_record(LogLine(service_id, level, message, deployment_id, metadata, timestamp))
    store.save(record)
    return to_dict(record)


def append_many(lines: Iterable[LogLine | Mapping[str, Any]]) -> list[dict]:
    """Write many lines with BatchWriteItem (25 per call). Every line is validated before any is
    written. Lines may be :class:`LogLine` or mappings with the same keys."""
    records = [new_record(line if isinstance(line, LogLine) else LogLine(**line)) for line in lines]
    if records:
        store.save_many(records)
    return [to_dict(record) for record in records]


@dataclass(frozen=True)
class LogFilter:
    level: str | None = None
    deployment_id: str | None = None
    since: str | None = None  # ISO 8601, inclusive
    until: str | None = None  # ISO 8601, inclusive


def check_window(since: str | None, until: str | None) -> None:
    if since and until and since > until:
        raise ValidationFailed([{"field": "since", "message": "since must not be after until"},
                                {"field": "until", "message": "until must not be before since"}])


def list_service_logs(service_id: str, filters: LogFilter, limit: int, cursor: str | None) -> dict:
    """A service's lines, newest first, in one Query. A deleted service's lines stay readable
    (they are history); a service that never existed is a NotFound. Whether the service is known
    is asked only when the first page is empty: a service with lines costs one call.

    With ``deployment_id`` the Query runs on ``by_deployment`` (a deployment's lines are few);
    ``level`` is a filter expression, so a filtered page may hold fewer than ``limit`` lines while
    ``next_cursor`` still points further (one Query per page, never more)."""
    check_window(filters.since, filters.until)
    scope = f"service-logs|{service_id}|{filters}"
    start_key = decode_cursor(scope, cursor)
    page = store.query(service_id, limit=limit, start_key=start_key, deployment_id=filters.deployment_id,
                       since=filters.since, until=filters.until, level=filters.level)
    if not page.items and cursor is None:
        services.ensure_known(service_id)
    return {"items": [to_dict(r) for r in page.items], "next_cursor": encode_cursor(scope, page.last_key)}

