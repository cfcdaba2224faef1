"""Business metrics: the API every module calls, and the summary read from the day counters.

Two calls per business event, both cheap:

- ``metrics.count(metrics.SERVICE_REGISTERED)``: the CloudWatch metric (EMF), printed at the end of
  the request by the middleware. Call it after the change committed.
- ``metrics.bump_daily(transaction, "services_registered")``: inside the change's transaction, an
  atomic ``ADD services_registered :1`` on today's ``day#YYYY-MM-DD`` item, so the counter commits
  with the change or not at all. The summary and the alert rules read these items.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.core import clock
from chalicelib.observability import (  # noqa: F401 - re-exported: the one place callers import from
    DEPLOYMENT_CANCELLED,
    DEPLOYMENT_FAILED,
    DEPLOYMENT_SUCCEEDED,
    DEPLOYMENT_TRIGGERED,
    FLAG_CHANGED,
    FLAG_CREATED,
    FLAG_EVALUATED,
    LOGIN_FAILED,
    LOGIN_SUCCEEDED,
    SERVICE_REGISTERED,
    count,
    publish_counts_at,
)
from chalicelib.storage import metrics as store

MAX_DAYS = 90


def bump_daily(transaction, *fields: str, hourly: bool = False, amount: int = 1,
               moment: datetime | None = None) -> None:
    """Add ``ADD <field> :amount`` for each field on today's day item (and this hour's item when
    ``hourly``) to ``transaction`` (a ``storage.base.Transaction``). Fields are names from
    ``storage.metrics.FIELDS``. A transaction may touch an item only once: pass every field of the
    change in one call."""
    if not fields:
        raise ValueError("bump_daily needs at least one counter field")
    moment = moment or clock.now()
    keys = [store.day_key(moment.date())] + ([store.hour_key(moment)] if hourly else [])
    for key in keys:
        store.bump(transaction, key, fields, amount,
                   expires_at=_hour_item_expiry() if key.startswith("hour#") else None)


def _hour_item_expiry() -> int:
    return clock.epoch() + store.HOUR_ITEM_DAYS * 86400


def _day_numbers(values: dict[str, int]) -> dict:
    return {
        "deployments": {
            "success": values[store.DEPLOYMENTS_SUCCESS],
            "failed": values[store.DEPLOYMENTS_FAILED],
            "cancelled": values[store.DEPLOYMENTS_CANCELLED],
            "triggered": values[store.DEPLOYMENTS_TRIGGERED],
        },
        "services_registered": values[store.SERVICES_REGISTERED],
        "flags_created": values[store.FLAGS_CREATED],
        "flags_changed": values[store.FLAGS_CHANGED],
        "logins": {"succeeded": values[store.LOGINS_SUCCEEDED], "failed": values[store.LOGINS_FAILED]},
    }


def success_rate(success: int, failed: int) -> float | None:
    finished = success + failed
    return round(success / finished, 4) if finished else None


def summary(days: int, *, today=None) -> dict:
    """The last ``days`` UTC days (today included), oldest first, from one BatchGetItem."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}")
    today = today or clock.now().date()
    dates = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    found = store.get_many([store.day_key(day) for day in dates])
    totals = dict.fromkeys(store.FIELDS, 0)
    daily = []
    for day in dates:
        values = store.values(found.get(store.day_key(day)))
        for field, value in values.items():
            totals[field] += value
        daily.append({"date": day.isoformat(), **_day_numbers(values)})
    return {
        "days": days,
        "from": dates[0].isoformat(),
        "to": dates[-1].isoformat(),
        "daily": daily,
        "totals": _day_numbers(totals),
        "success_rate": success_rate(totals[store.DEPLOYMENTS_SUCCESS], totals[store.DEPLOYMENTS_FAILED]),
    }


CLOSE_GRACE = timedelta(minutes=5)  # a deployment finishing at :59 bumps its hour a moment later


def publish_closed_hours(moment: datetime | None = None) -> list[str]:
    """Deployment outcomes are counted by the state machine (no Lambda there to print EMF), so the
    5-minute job publishes each closed hour's DeploymentSucceeded / DeploymentFailed /
    DeploymentCancelled once, time-stamped at that hour, from its ``hour#`` item. ``published_at``
    set with a condition on the item makes it once only, and the item gets its expiry (the state
    machine only ADDs). Looks at the last two closed hours."""
    moment = moment or clock.now()
    this_hour = moment.replace(minute=0, second=0, microsecond=0)
    hours = [this_hour - timedelta(hours=back) for back in (2, 1)]
    hours = [hour for hour in hours if moment - (hour + timedelta(hours=1)) >= CLOSE_GRACE]
    found = store.get_many([store.hour_key(hour) for hour in hours])
    published: list[str] = []
    for hour in hours:
        record = found.get(store.hour_key(hour))
        if record is None or record.published_at is not None:
            continue
        values = store.values(record)
        outcomes = {DEPLOYMENT_SUCCEEDED: values[store.DEPLOYMENTS_SUCCESS],
                    DEPLOYMENT_FAILED: values[store.DEPLOYMENTS_FAILED],
                    DEPLOYMENT_CANCELLED: values[store.DEPLOYMENTS_CANCELLED]}
        if not any(outcomes.values()):
            continue
        if not store.mark_published(record, clock.now_iso(), _hour_item_expiry()):
            continue  # published by a concurrent run
        publish_counts_at(outcomes, hour)
        published.append(record.pk)
    return published
