"""Log lines: partitioned by service and sorted by ``<timestamp>#<id>``, so "newest lines of a
service" is one Query; the ``by_deployment`` index serves "one deployment's lines, oldest first".
Lines expire through DynamoDB TTL on ``expires_at`` (epoch seconds)."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.core.clock import sort_key
from chalicelib.storage.base import Page, TableModel, Transaction, index_meta, query_page, table_meta, time_range


class _ByDeployment(GlobalSecondaryIndex):
    Meta = index_meta("by_deployment")

    deployment_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class LogRecord(TableModel):
    Meta = table_meta("logs")

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


def new_line(service_id: str, *, line_id: str, timestamp: str, deployment_id: str | None, level: str, message: str,
             metadata: dict | None, expires_at: int) -> LogRecord:
    """A log line not yet written."""
    return LogRecord(service_id, sort_key(timestamp, line_id), id=line_id, deployment_id=deployment_id,
                     timestamp=timestamp, level=level, message=message, metadata=metadata, expires_at=expires_at)


def save(record: LogRecord) -> None:
    record.save()


def add(tx: Transaction, record: LogRecord) -> None:
    """Write the line in ``tx``, with the change it reports."""
    tx.save(record)


def save_many(records: list[LogRecord]) -> None:
    """BatchWriteItem in chunks of 25 (pynamodb retries unprocessed items)."""
    with LogRecord.batch_write() as batch:
        for record in records:
            batch.save(record)


def _filter(level: str | None, service_id: str | None = None):
    conditions = [condition for wanted, condition in ((service_id, LogRecord.service_id == service_id),
                                                      (level, LogRecord.level == level)) if wanted]
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined


def service_page(service_id: str, *, limit: int, start_key: dict | None, since: str | None = None,
                 until: str | None = None, level: str | None = None) -> Page[LogRecord]:
    """One Query on the table: a service's lines, newest first; the time window is the sort key,
    ``level`` a filter."""
    return query_page(LogRecord, service_id, limit=limit, start_key=start_key,
                      range_key_condition=time_range(LogRecord.sort_key, since, until),
                      filter_condition=_filter(level), newest_first=True)


def deployment_page(deployment_id: str, *, limit: int, start_key: dict | None, since: str | None = None,
                    until: str | None = None, level: str | None = None, service_id: str | None = None,
                    newest_first: bool = False) -> Page[LogRecord]:
    """One Query on ``by_deployment``: one deployment's lines, oldest first unless asked otherwise;
    ``level`` and ``service_id`` (a line of another service that names this deployment) filter it."""
    return query_page(LogRecord.by_deployment, deployment_id, limit=limit, start_key=start_key,
                      range_key_condition=time_range(LogRecord.sort_key, since, until),
                      filter_condition=_filter(level, service_id), newest_first=newest_first)


def query(service_id: str, *, limit: int, start_key: dict | None, deployment_id: str | None = None,
          since: str | None = None, until: str | None = None, level: str | None = None) -> Page[LogRecord]:
    """A service's lines, newest first, one Query per page: on the table, or with ``deployment_id``
    on ``by_deployment`` (a deployment's lines are few), keeping only this service's."""
    if deployment_id:
        return deployment_page(deployment_id, limit=limit, start_key=start_key, since=since, until=until, level=level,
                               service_id=service_id, newest_first=True)
    return service_page(service_id, limit=limit, start_key=start_key, since=since, until=until, level=level)
