"""What every repository shares: table naming, one-Query pages and transactions."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core.settings import get_settings

T = TypeVar("T")


def table_name(suffix: str) -> str:
    return get_settings().table_name(suffix)


def region() -> str:
    return get_settings().region


@dataclass
class Page(Generic[T]):
    items: list[T]
    last_key: dict | None


def query_page(target, hash_key: Any, *, limit: int, start_key: dict | None = None,
               range_key_condition=None, filter_condition=None, newest_first: bool = True) -> Page:
    """Exactly one DynamoDB Query: ``limit + 1`` items tell whether another page exists without a
    second call. ``target`` is a Model or one of its Indexes."""
    model = getattr(target, "_model", target)  # an Index knows its Model
    results = target.query(
        hash_key,
        range_key_condition=range_key_condition,
        filter_condition=filter_condition,
        scan_index_forward=not newest_first,
        page_size=limit + 1,
        last_evaluated_key=start_key,
    )
    page = next(results.page_iter)
    raw_items = page.get("Items", [])
    if len(raw_items) > limit:
        raw_items = raw_items[:limit]
        last_key = {name: raw_items[-1][name] for name in results.page_iter.key_names}
    else:
        last_key = results.page_iter.last_evaluated_key
    return Page(items=[model.from_raw_data(item) for item in raw_items], last_key=last_key)


@functools.cache
def _connection(region_name: str) -> Connection:
    """One connection (so one botocore client, thread-safe) per process, as pynamodb models keep
    theirs: building a client costs 0.1 to 0.4 s, which every transaction paid before."""
    return Connection(region=region_name)


class TransactionCancelled(Exception):
    """A transaction was refused; ``failed`` holds the labels of the items whose condition failed."""

    def __init__(self, failed: set[str], codes: list[str | None]):
        super().__init__(f"transaction cancelled: {sorted(failed) or codes}")
        self.failed = failed
        self.codes = codes


class Transaction:
    """A DynamoDB write transaction whose items carry labels, so a cancelled transaction tells
    which condition failed (pynamodb sends checks, deletes, puts, updates in that order, not in
    the order they were added)."""

    def __init__(self) -> None:
        self._write = TransactWrite(connection=_connection(region()))
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def check(self, model_cls, hash_key, condition, range_key=None, *, label: str = "check") -> None:
        self._write.condition_check(model_cls, hash_key, range_key=range_key, condition=condition)
        self._labels["check"].append(label)

    def delete(self, model, condition=None, *, label: str | None = None) -> None:
        self._write.delete(model, condition=condition)
        self._labels["delete"].append(label or model.Meta.table_name)

    def save(self, model, condition=None, *, label: str | None = None) -> None:
        self._write.save(model, condition=condition)
        self._labels["put"].append(label or model.Meta.table_name)

    def update(self, model, actions, condition=None, *, label: str | None = None) -> None:
        self._write.update(model, actions=actions, condition=condition)
        self._labels["update"].append(label or model.Meta.table_name)

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            return
        try:
            self._write._commit()
        except TransactWriteError as error:
            reasons = getattr(error, "cancellation_reasons", None) or []
            codes = [getattr(reason, "code", None) if reason is not None else None for reason in reasons]
            if not codes:
                raise
            labels = [*self._labels["check"], *self._labels["delete"], *self._labels["put"], *self._labels["update"]]
            failed = {label for label, code in zip(labels, codes, strict=False) if code == "ConditionalCheckFailed"}
            if not failed and any(code == "TransactionConflict" for code in codes):
                failed = {"transaction-conflict"}
            if not failed:
                raise
            raise TransactionCancelled(failed, codes) from None


def transaction() -> Transaction:
    return Transaction()
