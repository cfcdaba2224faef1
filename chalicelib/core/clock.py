"""Time in one format everywhere: ISO 8601 UTC with milliseconds and a ``Z``. Strings in this
format sort in time order, which the sort keys rely on."""
from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    # isoformat, not strftime: "%Y" writes the year 628 as "628", which sorts after "1000".
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def now_iso() -> str:
    return iso(now())


def epoch() -> int:
    return int(time.time())


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def ours(value: str | None) -> str | None:
    """A time as the API answers it. Times written by the state machine come in the engine's own
    ISO format (``...T12:00:00.123Z`` on AWS, ``...T12:00:00.123456+00:00`` in moto)."""
    if value is None:
        return None
    try:
        return iso(parse_iso(value))
    except ValueError:
        return value


def new_id() -> str:
    return str(uuid.uuid4())


def sort_key(created_at: str, item_id: str) -> str:
    """Range key that orders by time and stays unique and stable for equal times."""
    return f"{created_at}#{item_id}"
