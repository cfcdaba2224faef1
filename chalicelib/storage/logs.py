"""Log lines: partitioned by service and sorted by ``<timestamp>#<id>``, so "newest lines of a
service" is one Query; the ``by_deployment`` index serves "one deployment's lines, oldest first".
Lines expire through DynamoDB TTL on ``expires_at`` (epoch seconds)."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import Page, TableModel, query_page, region, table_name


class _ByDeployment(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_deployment"
        projection = AllProjection()

    deployment_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class LogRecord(TableModel):
    class Meta:
        table_name = table_name("logs")
        region = region()

    service_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)  # "<timestamp>#<id>"
    id = UnicodeAttribute()
    deployment_id = UnicodeAttribute(null=True)
    timestamp = UnicodeAttribute()
    level = UnicodeAttribute()
    message = UnicodeAttribute()
    metadata = JSONAttribute(null=True)
    expires_at = NumberAttribute()

    by_deployment = _ByDeployment()


def save_many(records: list[LogRecord]) -> None:
    """BatchWriteItem in chunks of 25 (pynamodb retries unprocessed items)."""
    with LogRecord.batch_write() as batch:
        for record in records:
            batch.save(record)


def service_page(service_id: str, *, limit: int, start_key: dict | None, range_condition=None,
                 filter_condition=None) -> Page[LogRecord]:
    """One Query on the table: a service's lines, newest first."""
    return query_page(LogRecord, service_id, limit=limit, start_key=start_key, range_key_condition=range_condition,
                      filter_condition=filter_condition, newest_first=True)


def deployment_page(deployment_id: str, *, limit: int, start_key: dict | None, range_condition=None,
                    filter_condition=None, newest_first: bool = False) -> Page[LogRecord]:
    """One Query on ``by_deployment``: one deployment's lines, oldest first unless asked otherwise."""
    return query_page(LogRecord.by_deployment, deployment_id, limit=limit, start_key=start_key,
                      range_key_condition=range_condition, filter_condition=filter_condition,
                      newest_first=newest_first)
