"""Small counters in the ``counters`` table: the enabled-admin count and the login throttles (the
day and hour metric items share the table: ``storage.metrics``)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.storage.base import TableModel, Transaction, table_meta

ADMIN_COUNTER = "enabled-admins"


class CounterRecord(TableModel):
    Meta = table_meta("counters")

    pk = UnicodeAttribute(hash_key=True)
    # Stored as ``count``; called ``value`` here since a ``count`` attribute hides Model.count().
    value = NumberAttribute(default=0, attr_name="count")
    window_start = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)


def get(key: str) -> CounterRecord | None:
    return CounterRecord.find(key)


def change_admin_count(tx: Transaction, delta: int) -> None:
    """Add ``delta`` to the enabled admins. Lowering it is refused (label ``admins``, and so the
    whole transaction) when it would leave no enabled admin."""
    counter = CounterRecord(ADMIN_COUNTER)
    condition = CounterRecord.value > 1 if delta < 0 else None
    tx.update(counter, actions=[CounterRecord.value.add(delta)], condition=condition, label="admins")


def start_window(tx: Transaction, key: str, *, previous_start: int | None, exists: bool, now: int,
                 expires_at: int) -> None:
    """A new failure window holding one failure, conditioned on the window as read (none, or the
    one starting at ``previous_start``), so a concurrent failure cancels the transaction."""
    condition = CounterRecord.pk.does_not_exist() if not exists else CounterRecord.window_start == previous_start
    tx.save(CounterRecord(key, value=1, window_start=now, expires_at=expires_at), condition=condition)


def count_in_window(tx: Transaction, key: str, window_start: int) -> None:
    """One more failure in the window that starts at ``window_start`` (refused if it moved)."""
    tx.update(CounterRecord(key), actions=[CounterRecord.value.add(1)],
              condition=CounterRecord.window_start == window_start)


def clear(tx: Transaction, key: str) -> None:
    tx.delete(CounterRecord(key))
