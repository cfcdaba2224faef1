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
)
from chalicelib.storage import metrics as store
from chalicelib.storage.metrics import PeriodCounter

MAX_DAYS = 90


def bump_daily(transaction, field: str, *, hourly: bool = False, amount: int = 1,
               moment: datetime | None = None) -> None:
    """Add ``ADD <field> :amount`` on today's day item (and this hour's item when ``hourly``) to
    ``transaction`` (a ``storage.base.Transaction``). ``field`` is one of ``storage.metrics.FIELDS``."""
    moment = moment or clock.now()
    action = store.add_action(field, amount)
    transaction.update(PeriodCounter(store.day_key(moment.date())), actions=[action], label=f"counter:{field}")
    if hourly:
        transaction.update(PeriodCounter(store.hour_key(moment)), actions=[store.add_action(field, amount)],
                           label=f"counter:{field}:hour")


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
