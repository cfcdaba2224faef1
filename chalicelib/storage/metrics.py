"""Day and hour counter items in the ``counters`` table.

``day#YYYY-MM-DD`` and ``hour#YYYY-MM-DDTHH`` (UTC) items hold one number attribute per business
event. Writers only ever ``ADD <field> :1`` (atomic, creates the item and the attribute on first
use): the API inside the transaction of the change it counts, the deployment state machine with an
``updateItem`` at the end of each deployment. Readers fetch a window of items by key with one
BatchGetItem, never a Scan.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.storage import base
from chalicelib.storage.base import TableModel, Transaction, table_meta

# Every counter attribute a day or hour item may carry.
DEPLOYMENTS_SUCCESS = "deployments_success"
DEPLOYMENTS_FAILED = "deployments_failed"
DEPLOYMENTS_CANCELLED = "deployments_cancelled"
DEPLOYMENTS_TRIGGERED = "deployments_triggered"
SERVICES_REGISTERED = "services_registered"
FLAGS_CREATED = "flags_created"
FLAGS_CHANGED = "flags_changed"
LOGINS_SUCCEEDED = "logins_succeeded"
LOGINS_FAILED = "logins_failed"
FIELDS = (DEPLOYMENTS_SUCCESS, DEPLOYMENTS_FAILED, DEPLOYMENTS_CANCELLED, DEPLOYMENTS_TRIGGERED,
          SERVICES_REGISTERED, FLAGS_CREATED, FLAGS_CHANGED, LOGINS_SUCCEEDED, LOGINS_FAILED)

class PeriodCounter(TableModel):
    """One day or one hour of counters (the same table as the login throttles and admin count)."""

    Meta = table_meta("counters")

    pk = UnicodeAttribute(hash_key=True)
    deployments_success = NumberAttribute(null=True)
    deployments_failed = NumberAttribute(null=True)
    deployments_cancelled = NumberAttribute(null=True)
    deployments_triggered = NumberAttribute(null=True)
    services_registered = NumberAttribute(null=True)
    flags_created = NumberAttribute(null=True)
    flags_changed = NumberAttribute(null=True)
    logins_succeeded = NumberAttribute(null=True)
    logins_failed = NumberAttribute(null=True)
    # Set once an hour's deployment outcomes were published as CloudWatch metrics.
    published_at = UnicodeAttribute(null=True)
    # Hour items expire (the table's TTL attribute) once no rule reads them; day items stay.
    expires_at = NumberAttribute(null=True)


HOUR_ITEM_DAYS = 14


def day_key(day: date) -> str:
    return f"day#{day.isoformat()}"


def hour_key(moment: datetime) -> str:
    return f"hour#{moment.strftime('%Y-%m-%dT%H')}"


def hour_keys_back(moment: datetime, hours: int) -> list[str]:
    """The keys of the hour containing ``moment`` and the ``hours - 1`` hours before it."""
    return [hour_key(moment - timedelta(hours=back)) for back in range(hours)]


def _add_action(field: str, amount: int = 1):
    if field not in FIELDS:
        raise ValueError(f"unknown counter field {field!r}; add it to chalicelib.storage.metrics.FIELDS")
    return getattr(PeriodCounter, field).add(amount)


def bump(tx: Transaction, key: str, fields: tuple[str, ...], amount: int, *, expires_at: int | None = None) -> None:
    """``ADD <field> :amount`` for each field on the item ``key`` (created on first use), and its
    expiry when given."""
    actions = [_add_action(field, amount) for field in fields]
    if expires_at is not None:
        actions.append(PeriodCounter.expires_at.set(expires_at))
    tx.update(PeriodCounter(key), actions=actions, label=f"counter:{key.split('#', 1)[0]}")


def mark_published(record: PeriodCounter, now: str, expires_at: int) -> bool:
    """Record that the hour's outcomes were published (once: False when a concurrent run did)."""
    try:
        record.update(actions=[PeriodCounter.published_at.set(now), PeriodCounter.expires_at.set(expires_at)],
                      condition=PeriodCounter.published_at.does_not_exist())
    except UpdateError:
        return False
    return True


def values(record: PeriodCounter | None) -> dict[str, int]:
    return {field: int(getattr(record, field) or 0) if record is not None else 0 for field in FIELDS}


def get_many(keys: list[str]) -> dict[str, PeriodCounter]:
    """The existing items among ``keys``, by key (one BatchGetItem per 100 keys, never a Scan)."""
    return base.get_many(PeriodCounter, keys)
