"""What every repository shares: table naming, one-Query pages and transactions."""
from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import MetaProtocol, Model
from pynamodb.transactions import TransactWrite

from chalicelib.core import aws
from chalicelib.core.settings import get_settings

T = TypeVar("T")


def table_name(suffix: str) -> str:
    return get_settings().table_name(suffix)


def region() -> str:
    return get_settings().region


_shared_connection: Connection | None = None


def shared_connection() -> Connection:
    """One DynamoDB connection (one botocore session and client) for every model and transaction.
    pynamodb otherwise builds a session and client per model and per transaction, each re-reading
    botocore's service description: tens of milliseconds and megabytes apiece."""
    global _shared_connection
    if _shared_connection is None:
        _shared_connection = _SessionConnection(region=region())
    return _shared_connection


class _SessionConnection(Connection):
    @property
    def session(self):
        return aws.botocore_session()


def table_meta(suffix: str) -> MetaProtocol:
    """A model's ``Meta``: its table, named from the settings, and the region."""
    meta = type("Meta", (), {"table_name": table_name(suffix), "region": region()})
    # pynamodb's model metaclass fills in the settings this class leaves out (host, timeouts, ...),
    # so the class becomes a full MetaProtocol only once the model is created.
    return cast(MetaProtocol, meta)


def index_meta(name: str) -> type:
    """A global secondary index's ``Meta``: every index projects all attributes."""
    return type("Meta", (), {"index_name": name, "projection": AllProjection()})


class TableModel(Model):
    """Base of every model: routes its table connection through :func:`shared_connection`."""

    @classmethod
    def find(cls, hash_key, **kwargs):
        """``get`` that answers None for a missing item instead of raising DoesNotExist."""
        try:
            return cls.get(hash_key, **kwargs)
        except DoesNotExist:
            return None

    @classmethod
    def _get_connection(cls):
        table = super()._get_connection()
        shared = shared_connection()
        if table.connection is not shared:
            try:
                shared.add_meta_table(table.connection.get_meta_table(cls.Meta.table_name))
            except ValueError:
                pass  # another model of the same table (the counters table has several) added it already
            table.connection = shared
        return table


class ByListIndex(GlobalSecondaryIndex):
    """The ``by_list`` index every listable table has: a constant partition per resource type
    (``list_pk``) sorted by ``<created_at>#<id>`` (``sort_key``), so "newest first" is one Query."""

    Meta = index_meta("by_list")

    list_pk = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


@dataclass
class Page(Generic[T]):
    items: list[T]
    last_key: dict | None


# A page with a residual filter (a DynamoDB FilterExpression) reads on, Query after Query, until it
# holds ``limit`` matches; it stops after reading this many items (matching or not). Only then is a
# page short (or empty) and still carries a cursor. Bounds the cost of one request, never the list.
FILTERED_READ_LIMIT = 1000


def query_page(target, hash_key: Any, *, limit: int, start_key: dict | None = None,
               range_key_condition=None, filter_condition=None, newest_first: bool = True) -> Page:
    """One page of a Query, filled: ``limit + 1`` matching items tell whether another page exists.
    Without a filter that is one DynamoDB Query. With ``filter_condition`` the Query reads on from
    where it stopped, each read twice the size of the one before, until ``limit + 1`` items matched,
    the partition ended, or FILTERED_READ_LIMIT items were read (then the page may be short, and
    its cursor resumes after the last item read). ``target`` is a Model or one of its Indexes."""
    model = getattr(target, "_model", target)  # an Index knows its Model
    budget = FILTERED_READ_LIMIT if filter_condition is not None else limit + 1
    matched: list[dict] = []
    read, key, chunk = 0, start_key, limit + 1
    while True:
        results = target.query(
            hash_key,
            range_key_condition=range_key_condition,
            filter_condition=filter_condition,
            scan_index_forward=not newest_first,
            page_size=max(1, min(chunk, budget - read)),
            last_evaluated_key=key,
        )
        page = next(results.page_iter)
        items = page.get("Items", [])
        matched.extend(items)
        read += int(page.get("ScannedCount", len(items)))
        key = results.page_iter.last_evaluated_key
        if len(matched) > limit or key is None or read >= budget:
            break
        chunk *= 2
    if len(matched) > limit:
        matched = matched[:limit]
        key = {name: matched[-1][name] for name in results.page_iter.key_names}
    return Page(items=[model.from_raw_data(item) for item in matched], last_key=key)


def time_range(sort_key, since: str | None, until: str | None):
    """The range condition on a ``<timestamp>#<id>`` sort key for a time window, both ends
    inclusive (``~`` sorts after any ``#<id>``), or None for no bound."""
    low, high = since, (until + "~") if until else None
    if low and high:
        return sort_key.between(low, high)
    if low:
        return sort_key >= low
    if high:
        return sort_key <= high
    return None


BATCH_GET_LIMIT = 100  # keys per BatchGetItem


def get_many(model_cls, keys: list) -> dict:
    """The existing items among ``keys`` (hash keys), by key: one BatchGetItem per 100 keys (plus
    retries of unprocessed keys, which pynamodb does), never one read per key. Missing items are
    simply absent."""
    found: dict = {}
    unique = list(dict.fromkeys(keys))
    hash_key = model_cls._hash_key_attribute().attr_name
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        for record in model_cls.batch_get(unique[start:start + BATCH_GET_LIMIT]):
            found[getattr(record, hash_key)] = record
    return found


# The one retry policy for refused transactions: at most this many commits, whoever retries.
ATTEMPTS = 4

_retrying: contextvars.ContextVar[bool] = contextvars.ContextVar("retrying", default=False)


class TransactionCancelled(Exception):
    """A transaction was refused; ``failed`` holds the labels of the items whose condition failed
    (``{"transaction-conflict"}`` when another transaction held one of its items)."""

    def __init__(self, failed: set[str], codes: list[str | None]):
        super().__init__(f"transaction cancelled: {sorted(failed) or codes}")
        self.failed = failed
        self.codes = codes

    @property
    def conflict(self) -> bool:
        return self.failed == {"transaction-conflict"}


def _is_conflict(cancelled: TransactionCancelled) -> bool:
    return cancelled.conflict


def with_retries(attempt: Callable[[], T], *, when: Callable[[TransactionCancelled], bool] = _is_conflict) -> T:
    """Run ``attempt`` (which builds and commits a transaction, reading first what it needs) until it
    succeeds, at most ATTEMPTS times, again only while ``when(cancelled)`` says the refusal is worth
    another try. A refused transaction wrote nothing, so trying again is safe. Transactions
    committed inside ``attempt`` are sent once each: inside another ``with_retries`` this runs
    ``attempt`` once and leaves the retrying to the outer one, so retries never nest."""
    if _retrying.get():
        return attempt()
    for number in range(1, ATTEMPTS + 1):
        token = _retrying.set(True)
        try:
            return attempt()
        except TransactionCancelled as cancelled:
            # ``when`` is asked even on the last attempt: it may turn the refusal into a better error.
            if not when(cancelled) or number == ATTEMPTS:
                raise
        finally:
            _retrying.reset(token)
        time.sleep(random.uniform(0.01, 0.05) * number)  # noqa: S311 - jitter, not security
    raise AssertionError("unreachable")


class Transaction:
    """A DynamoDB write transaction whose items carry labels, so a cancelled transaction tells
    which condition failed (pynamodb sends checks, deletes, puts, updates in that order, not in
    the order they were added)."""

    def __init__(self) -> None:
        self._write = TransactWrite(connection=shared_connection())
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
        with_retries(self._commit_once)

    def _commit_once(self) -> None:
        try:
            self._write._commit()
        except TransactWriteError as error:
            reasons = getattr(error, "cancellation_reasons", None) or []
            codes = [getattr(reason, "code", None) if reason is not None else None for reason in reasons]
            if not codes:
                raise
            labels = [*self._labels["check"], *self._labels["delete"], *self._labels["put"], *self._labels["update"]]
            failed = {label for label, code in zip(labels, codes, strict=False) if code == "ConditionalCheckFailed"}
            if failed:
                raise TransactionCancelled(failed, codes) from None
            if "TransactionConflict" not in codes:
                raise
            # Another transaction held one of our items (typically today's counter item).
            raise TransactionCancelled({"transaction-conflict"}, codes) from None


def transaction() -> Transaction:
    """A unit of work: storage functions add their writes to it; leaving the ``with`` commits them
    all or none (sent again, within ATTEMPTS, when only a concurrent transaction was in the way)."""
    return Transaction()
