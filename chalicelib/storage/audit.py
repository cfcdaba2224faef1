"""Audit entries: written only inside the transaction of the change they record."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.core import clock
from chalicelib.storage.base import Page, TableModel, Transaction, index_meta, query_page, table_meta, time_range

FEED = "audit"


class _ByTime(GlobalSecondaryIndex):
    Meta = index_meta("by_time")

    feed = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByActor(GlobalSecondaryIndex):
    Meta = index_meta("by_actor")

    actor_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByResource(GlobalSecondaryIndex):
    Meta = index_meta("by_resource")

    resource_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByType(GlobalSecondaryIndex):
    Meta = index_meta("by_type")

    resource_type = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByAction(GlobalSecondaryIndex):
    Meta = index_meta("by_action")

    action = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class AuditRecord(TableModel):
    Meta = table_meta("audit")

    id = UnicodeAttribute(hash_key=True)
    timestamp = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    actor_email = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    resource_type = UnicodeAttribute()
    resource_id = UnicodeAttribute(null=True)
    changes = JSONAttribute(default=dict)
    request_id = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    feed = UnicodeAttribute(default=FEED)
    sort_key = UnicodeAttribute()

    by_time = _ByTime()
    by_actor = _ByActor()
    by_resource = _ByResource()
    by_type = _ByType()
    by_action = _ByAction()


def add(tx: Transaction, entry: dict) -> None:
    """Write an audit entry (the fields ``domain.audit.entry`` gives) in the change's transaction."""
    tx.save(new_entry(entry))


def new_entry(entry: dict) -> AuditRecord:
    return AuditRecord(entry["id"], sort_key=clock.sort_key(entry["timestamp"], entry["id"]),
                       **{name: value for name, value in entry.items() if name != "id"})


def query(*, actor_id: str | None, action: str | None, resource_type: str | None, resource_id: str | None,
          since: str | None, until: str | None, limit: int, start_key: dict | None) -> Page[AuditRecord]:
    """One filled page from the most selective index for the given filters: ``resource_id``, else
    ``actor_id``, else ``action``, else ``resource_type``, else the whole feed; the time range
    (ISO 8601, both ends inclusive) is the index's sort key, and the filters the index does not
    serve filter it (``query_page`` reads on until the page is full, within its bound)."""
    index: GlobalSecondaryIndex[AuditRecord]
    key: str
    residual: tuple[str, ...]
    if resource_id is not None:
        index, key, residual = AuditRecord.by_resource, resource_id, ("actor_id", "action", "resource_type")
    elif actor_id is not None:
        index, key, residual = AuditRecord.by_actor, actor_id, ("action", "resource_type")
    elif action is not None:
        index, key, residual = AuditRecord.by_action, action, ("resource_type",)
    elif resource_type is not None:
        index, key, residual = AuditRecord.by_type, resource_type, ()
    else:
        index, key, residual = AuditRecord.by_time, FEED, ()
    wanted = {"actor_id": actor_id, "action": action, "resource_type": resource_type}
    filter_condition = None
    for name in residual:
        if wanted[name] is None:
            continue
        condition = getattr(AuditRecord, name) == wanted[name]
        filter_condition = condition if filter_condition is None else filter_condition & condition
    return query_page(index, key, range_key_condition=time_range(AuditRecord.sort_key, since, until),
                      filter_condition=filter_condition,
                      limit=limit, start_key=start_key)
