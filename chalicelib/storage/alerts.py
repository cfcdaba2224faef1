"""Alerts table: one item per alert. ``by_list`` serves "all alerts, newest first" and
``by_status`` "open (or resolved) alerts, newest first", each one Query per page. "At most one open
alert per rule and subject" is a ``UniqueRecord`` guard (``alert-open#<rule>#<subject>``) written
with the alert and deleted when it resolves."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import ByListIndex, Page, TableModel, query_page, region, table_name
from chalicelib.storage.users import UniqueRecord

LIST_PK = "alert"
OPEN = "open"
RESOLVED = "resolved"


class _ByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class AlertRecord(TableModel):
    class Meta:
        table_name = table_name("alerts")
        region = region()

    id = UnicodeAttribute(hash_key=True)
    rule = UnicodeAttribute()
    subject = UnicodeAttribute()
    severity = UnicodeAttribute()
    status = UnicodeAttribute()
    message = UnicodeAttribute()
    opened_at = UnicodeAttribute()
    resolved_at = UnicodeAttribute(null=True)
    acked_by = UnicodeAttribute(null=True)
    acked_at = UnicodeAttribute(null=True)
    notified_at = UnicodeAttribute(null=True)  # when it was published to the alerts topic
    version = NumberAttribute(default=1)
    list_pk = UnicodeAttribute(default=LIST_PK)
    sort_key = UnicodeAttribute()  # "<opened_at>#<id>": newest first in both indexes

    by_list = ByListIndex()
    by_status = _ByStatus()


def guard_key(rule: str, subject: str) -> str:
    return f"alert-open#{rule}#{subject}"


def get(alert_id: str) -> AlertRecord | None:
    return AlertRecord.find(alert_id)


def open_alert_for(rule: str, subject: str) -> tuple[UniqueRecord | None, AlertRecord | None]:
    """The guard and the open alert of a rule and subject (two GetItems), or Nones."""
    guard = UniqueRecord.find(guard_key(rule, subject))
    if guard is None:
        return None, None
    return guard, get(guard.owner_id)


def list_page(limit: int, start_key: dict | None, status: str | None = None) -> Page[AlertRecord]:
    if status is not None:
        return query_page(AlertRecord.by_status, status, limit=limit, start_key=start_key)
    return query_page(AlertRecord.by_list, LIST_PK, limit=limit, start_key=start_key)
