"""Alerts table: one item per alert. ``by_list`` serves "all alerts, newest first" and
``by_status`` "open (or resolved) alerts, newest first", each one Query per page. "At most one open
alert per rule and subject" is a ``uniques`` claim (``alert-open#<rule>#<subject>``) written
with the alert and released when it resolves."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.core import clock
from chalicelib.storage import uniques
from chalicelib.storage.base import ByListIndex, Page, TableModel, Transaction, index_meta, query_page, table_meta

LIST_PK = "alert"
OPEN = "open"
RESOLVED = "resolved"


class _ByStatus(GlobalSecondaryIndex):
    Meta = index_meta("by_status")

    status = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class AlertRecord(TableModel):
    Meta = table_meta("alerts")

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


def open_alert_for(rule: str, subject: str) -> tuple[str | None, AlertRecord | None]:
    """The id the open-alert claim of a rule and subject names, and that alert (two GetItems), or Nones."""
    owner = uniques.owner_of(guard_key(rule, subject))
    if owner is None:
        return None, None
    return owner, get(owner)


def new_alert(alert_id: str, *, rule: str, subject: str, severity: str, message: str, now: str) -> AlertRecord:
    return AlertRecord(alert_id, rule=rule, subject=subject, severity=severity, status=OPEN, message=message,
                       opened_at=now, version=1, sort_key=clock.sort_key(now, alert_id))


def add_open(tx: Transaction, alert: AlertRecord) -> None:
    """Write the alert and claim its rule and subject (label ``alert-guard`` when one is open)."""
    tx.save(alert, condition=AlertRecord.id.does_not_exist(), label="alert")
    uniques.claim(tx, guard_key(alert.rule, alert.subject), alert.id, label="alert-guard")


def resolve(tx: Transaction, rule: str, subject: str, claimed_by: str, alert: AlertRecord | None, now: str) -> None:
    """Release the open-alert claim (held by ``claimed_by``) and, when ``alert`` is still open, mark it resolved."""
    uniques.release(tx, guard_key(rule, subject), claimed_by, label="alert-guard")
    if alert is not None and alert.status == OPEN:
        tx.update(alert, actions=[AlertRecord.status.set(RESOLVED), AlertRecord.resolved_at.set(now),
                                  AlertRecord.version.add(1)],
                  condition=AlertRecord.status == OPEN, label="alert")


def acknowledge(tx: Transaction, alert: AlertRecord, by: str, now: str) -> None:
    """Refused (label ``alert``) when the alert changed since it was read."""
    tx.update(alert, actions=[AlertRecord.acked_by.set(by), AlertRecord.acked_at.set(now), AlertRecord.version.add(1)],
              condition=AlertRecord.version == alert.version, label="alert")


def mark_notified(alert: AlertRecord, now: str) -> bool:
    """Record that the alert was published (once: False when it already was)."""
    try:
        alert.update(actions=[AlertRecord.notified_at.set(now)], condition=AlertRecord.notified_at.does_not_exist())
    except UpdateError:
        return False
    return True


def list_page(limit: int, start_key: dict | None, status: str | None = None) -> Page[AlertRecord]:
    if status is not None:
        return query_page(AlertRecord.by_status, status, limit=limit, start_key=start_key)
    return query_page(AlertRecord.by_list, LIST_PK, limit=limit, start_key=start_key)
