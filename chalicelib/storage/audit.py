"""Audit entries: written only inside the transaction of the change they record."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import Page, TableModel, query_page, region, table_name

FEED = "audit"


class _ByTime(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_time"
        projection = AllProjection()

    feed = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByActor(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_actor"
        projection = AllProjection()

    actor_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByResource(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_resource"
        projection = AllProjection()

    resource_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByType(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_type"
        projection = AllProjection()

    resource_type = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class AuditRecord(TableModel):
    class Meta:
        table_name = table_name("audit")
        region = region()

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


def query(*, actor_id: str | None, resource_id: str | None, resource_type: str | None,
          range_condition, filter_condition, limit: int, start_key: dict | None) -> Page[AuditRecord]:
    """One Query on the most selective index for the given filters."""
    if resource_id is not None:
        return query_page(AuditRecord.by_resource, resource_id, range_key_condition=range_condition,
                          filter_condition=filter_condition, limit=limit, start_key=start_key)
    if actor_id is not None:
        return query_page(AuditRecord.by_actor, actor_id, range_key_condition=range_condition,
                          filter_condition=filter_condition, limit=limit, start_key=start_key)
    if resource_type is not None:
        return query_page(AuditRecord.by_type, resource_type, range_key_condition=range_condition,
                          filter_condition=filter_condition, limit=limit, start_key=start_key)
    return query_page(AuditRecord.by_time, FEED, range_key_condition=range_condition,
                      filter_condition=filter_condition, limit=limit, start_key=start_key)
