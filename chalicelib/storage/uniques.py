"""The ``uniques`` table: one item per value that must stay unique (``user-email#a@b.c``,
``service-name#x``, ``alert-open#<rule>#<subject>``), naming its owner. A claim is written in the
same transaction as its owner with ``attribute_not_exists``, so uniqueness holds under races."""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.storage.base import TableModel, Transaction, table_meta


class UniqueRecord(TableModel):
    Meta = table_meta("uniques")

    pk = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()


def owner_of(key: str) -> str | None:
    """Who holds ``key``, or None when nobody does."""
    guard = UniqueRecord.find(key)
    return guard.owner_id if guard is not None else None


def claim(tx: Transaction, key: str, owner_id: str, *, label: str) -> None:
    """Refused (``label`` failed) when someone holds ``key`` already."""
    tx.save(UniqueRecord(key, owner_id=owner_id), condition=UniqueRecord.pk.does_not_exist(), label=label)


def mark(tx: Transaction, key: str, owner_id: str, *, label: str) -> None:
    """Write ``key`` whoever held it (a marker, not a guard)."""
    tx.save(UniqueRecord(key, owner_id=owner_id), label=label)


def release(tx: Transaction, key: str, owner_id: str | None = None, *, label: str | None = None) -> None:
    """Free ``key``; with ``owner_id``, only while that owner still holds it."""
    tx.delete(UniqueRecord(key), condition=UniqueRecord.owner_id == owner_id if owner_id is not None else None,
              label=label)
