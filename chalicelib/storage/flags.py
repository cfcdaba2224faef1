"""Flags table: one item per flag, addressed by its key; the ``by_list`` index orders them by
creation time for the list and lets the evaluation cache read every flag with Queries."""
from __future__ import annotations

from collections.abc import Iterator

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core import clock
from chalicelib.storage.base import ByListIndex, Page, TableModel, Transaction, query_page, table_meta

LIST_PK = "flag"


class FlagRecord(TableModel):
    Meta = table_meta("flags")

    key = UnicodeAttribute(hash_key=True)
    description = UnicodeAttribute(default="")
    enabled = BooleanAttribute(default=False)
    environments = ListAttribute(of=UnicodeAttribute, default=list)
    rollout_percentage = NumberAttribute(default=100)
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    list_pk = UnicodeAttribute(default=LIST_PK)
    sort_key = UnicodeAttribute()

    by_list = ByListIndex()


def get(key: str) -> FlagRecord | None:
    return FlagRecord.find(key)


def list_page(limit: int, start_key: dict | None) -> Page[FlagRecord]:
    return query_page(FlagRecord.by_list, LIST_PK, limit=limit, start_key=start_key)


def all_flags() -> Iterator[FlagRecord]:
    """Every flag, through the list index (one Query per 1 MB page; never a Scan). Used to fill the
    per-instance evaluation cache."""
    return FlagRecord.by_list.query(LIST_PK)


def new_flag(key: str, *, description: str, enabled: bool, environments: list[str], rollout_percentage: int,
             created_by: str | None, now: str) -> FlagRecord:
    return FlagRecord(key, description=description, enabled=enabled, environments=environments,
                      rollout_percentage=rollout_percentage, created_by=created_by, created_at=now, updated_at=now,
                      version=1, sort_key=clock.sort_key(now, key))


def add(tx: Transaction, flag: FlagRecord) -> None:
    """Refused (label ``flag``) when a flag with this key exists."""
    tx.save(flag, condition=FlagRecord.key.does_not_exist(), label="flag")


def update_fields(tx: Transaction, flag: FlagRecord, changes: dict, now: str) -> None:
    """Set ``changes`` on the flag as read (refused, label ``flag``, when its version moved)."""
    actions = [getattr(FlagRecord, name).set(value) for name, value in changes.items()]
    actions += [FlagRecord.updated_at.set(now), FlagRecord.version.add(1)]
    tx.update(flag, actions=actions, condition=FlagRecord.version == flag.version, label="flag")


def delete(tx: Transaction, flag: FlagRecord) -> None:
    """Refused (label ``flag``) when the flag changed since it was read."""
    tx.delete(flag, condition=FlagRecord.version == flag.version, label="flag")
