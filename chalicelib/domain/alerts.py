"""Alert rules, evaluated by a scheduled job every five minutes, and alerts people acknowledge.

Rules (each alert has a ``rule`` and a ``subject``; at most one alert per rule and subject is open):

- ``deployment_failure_rate`` (critical, subject ``all``): more than 20 % of the deployments that
  finished in the last 24 hours failed, with at least 5 finished (success + failed; a cancelled
  deployment is not an outcome of the pipeline). Read from the 24 ``hour#YYYY-MM-DDTHH`` counter
  items (this hour and the 23 before it) with one BatchGetItem. Resolves itself when the rate is
  back at or under 20 % (or fewer than 5 finished in the window).
- ``service_registered`` (info, subject = the service id): opened by
  :func:`service_registered` inside the transaction that registers the service; the condition
  ("registered in the last 24 hours") clears after 24 hours and the job resolves it then.

New alerts are published to the SNS topic ``IDP_ALERTS_TOPIC_ARN`` (when set) by the job, at
least once: an alert is marked ``notified_at`` only after SNS accepted it.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from chalicelib.core import aws, clock
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings
from chalicelib.domain import audit
from chalicelib.domain.caller import Caller
from chalicelib.observability import logger
from chalicelib.storage import alerts as store
from chalicelib.storage import base
from chalicelib.storage import metrics as counters
from chalicelib.storage.alerts import OPEN, RESOLVED, AlertRecord
from chalicelib.storage.users import UniqueRecord

FAILURE_RATE = "deployment_failure_rate"
SERVICE_REGISTERED = "service_registered"
CRITICAL = "critical"
INFO = "info"

FAILURE_RATE_THRESHOLD = 0.20  # strictly more than this fraction failed
FAILURE_RATE_MIN_FINISHED = 5
FAILURE_RATE_WINDOW_HOURS = 24
INFO_ALERT_HOURS = 24
MAX_OPEN_PAGES = 10  # open alerts read per job run: 10 Queries of 100 at most

def to_dict(record: AlertRecord) -> dict:
    return {
        "id": record.id,
        "rule": record.rule,
        "subject": record.subject,
        "severity": record.severity,
        "status": record.status,
        "message": record.message,
        "opened_at": record.opened_at,
        "resolved_at": record.resolved_at,
        "acked_by": record.acked_by,
        "acked_at": record.acked_at,
        "version": int(record.version),
    }


def _new_alert(rule: str, subject: str, severity: str, message: str) -> AlertRecord:
    now = clock.now_iso()
    alert_id = clock.new_id()
    return AlertRecord(alert_id, rule=rule, subject=subject, severity=severity, status=OPEN, message=message,
                       opened_at=now, version=1, sort_key=clock.sort_key(now, alert_id))


def _add_open(transaction, record: AlertRecord) -> None:
    transaction.save(record, condition=AlertRecord.id.does_not_exist(), label="alert")
    transaction.save(UniqueRecord(store.guard_key(record.rule, record.subject), owner_id=record.id),
                     condition=UniqueRecord.pk.does_not_exist(), label="alert-guard")


def service_registered(transaction, service_id: str, service_name: str) -> AlertRecord:
    """Add an info alert "service registered" to the transaction that registers the service."""
    record = _new_alert(SERVICE_REGISTERED, service_id, INFO, f"service {service_name} was registered")
    _add_open(transaction, record)
    return record


def open_alert(rule: str, subject: str, severity: str, message: str) -> AlertRecord | None:
    """Open an alert unless one is already open for this rule and subject (then None)."""
    record = _new_alert(rule, subject, severity, message)
    try:
        with base.transaction() as transaction:
            _add_open(transaction, record)
    except base.TransactionCancelled as cancelled:
        if "alert-guard" in cancelled.failed:
            return None
        raise
    logger.warning("alert opened", extra={"alert": to_dict(record)})
    return record


def resolve(rule: str, subject: str) -> AlertRecord | None:
    """Resolve the open alert of this rule and subject, if any; returns it."""
    guard, record = store.open_alert_for(rule, subject)
    if guard is None:
        return None
    now = clock.now_iso()
    try:
        with base.transaction() as transaction:
            transaction.delete(guard, condition=UniqueRecord.owner_id == guard.owner_id, label="alert-guard")
            if record is not None and record.status == OPEN:
                transaction.update(record, actions=[AlertRecord.status.set(RESOLVED), AlertRecord.resolved_at.set(now),
                                                    AlertRecord.version.add(1)],
                                   condition=AlertRecord.status == OPEN, label="alert")
    except base.TransactionCancelled:
        return None  # resolved concurrently
    if record is None:
        return None
    record.status, record.resolved_at, record.version = RESOLVED, now, record.version + 1
    logger.info("alert resolved", extra={"alert": to_dict(record)})
    return record


def failure_rate_window(moment: datetime) -> dict:
    keys = counters.hour_keys_back(moment, FAILURE_RATE_WINDOW_HOURS)
    found = counters.get_many(keys)
    success = sum(counters.values(found.get(key))[counters.DEPLOYMENTS_SUCCESS] for key in keys)
    failed = sum(counters.values(found.get(key))[counters.DEPLOYMENTS_FAILED] for key in keys)
    return {"success": success, "failed": failed, "finished": success + failed}


def _check_failure_rate(moment: datetime, report: dict) -> None:
    window = failure_rate_window(moment)
    report["failure_rate_window"] = window
    finished, failed = window["finished"], window["failed"]
    breached = finished >= FAILURE_RATE_MIN_FINISHED and failed / finished > FAILURE_RATE_THRESHOLD
    if breached:
        rate = failed / finished
        message = (f"{failed} of {finished} deployments finished in the last {FAILURE_RATE_WINDOW_HOURS} hours "
                   f"failed ({rate:.0%}, threshold {FAILURE_RATE_THRESHOLD:.0%})")
        if open_alert(FAILURE_RATE, "all", CRITICAL, message) is not None:
            report["opened"].append(FAILURE_RATE)
    elif resolve(FAILURE_RATE, "all") is not None:
        report["resolved"].append(FAILURE_RATE)


def _open_alerts() -> list[AlertRecord]:
    found: list[AlertRecord] = []
    start_key = None
    for _ in range(MAX_OPEN_PAGES):
        page = store.list_page(100, start_key, status=OPEN)
        found.extend(page.items)
        start_key = page.last_key
        if start_key is None:
            break
    return found


def _expire_info_alerts(open_alerts: list[AlertRecord], moment: datetime, report: dict) -> None:
    cutoff = clock.iso(moment - timedelta(hours=INFO_ALERT_HOURS))
    for record in open_alerts:
        if record.rule == SERVICE_REGISTERED and record.opened_at <= cutoff:
            if resolve(record.rule, record.subject) is not None:
                report["resolved"].append(f"{record.rule}:{record.subject}")


def _publish(record: AlertRecord, topic_arn: str) -> None:
    body = {k: v for k, v in to_dict(record).items() if k != "version"}
    subject = f"[{record.severity.upper()}] IDP alert: {record.rule}"[:100]
    aws.client("sns").publish(TopicArn=topic_arn, Subject=subject, Message=json.dumps(body),
                              MessageAttributes={"severity": {"DataType": "String", "StringValue": record.severity},
                                                 "rule": {"DataType": "String", "StringValue": record.rule}})


def _notify_new(open_alerts: list[AlertRecord], report: dict) -> None:
    topic_arn = get_settings().alerts_topic_arn
    if topic_arn is None:
        return
    for record in open_alerts:
        if record.notified_at is not None:
            continue
        try:
            _publish(record, topic_arn)
            record.update(actions=[AlertRecord.notified_at.set(clock.now_iso())],
                          condition=AlertRecord.notified_at.does_not_exist())
        except Exception as error:  # noqa: BLE001 - try again on the next run
            logger.warning("alert not published", extra={"alert_id": record.id, "error": type(error).__name__})
            continue
        report["notified"].append(record.id)


def run_rules(moment: datetime | None = None) -> dict:
    """The scheduled job: evaluate every rule, resolve what cleared, publish new alerts."""
    moment = moment or clock.now()
    report: dict = {"opened": [], "resolved": [], "notified": []}
    _check_failure_rate(moment, report)
    open_alerts = _open_alerts()
    _expire_info_alerts(open_alerts, moment, report)
    _notify_new([r for r in open_alerts if r.status == OPEN], report)
    return report


def list_alerts(status: str | None, limit: int, cursor: str | None) -> dict:
    scope = f"alerts|{status or '*'}"
    page = store.list_page(limit, decode_cursor(scope, cursor), status=status)
    return {"items": [to_dict(r) for r in page.items], "next_cursor": encode_cursor(scope, page.last_key)}


def acknowledge(caller: Caller, alert_id: str) -> dict:
    """Record who acknowledged the alert (once: acknowledging again changes nothing)."""
    for _attempt in range(3):
        record = store.get(alert_id)
        if record is None:
            raise NotFound(f"alert {alert_id} not found")
        if record.acked_by is not None:
            return to_dict(record)
        before = to_dict(record)
        now = clock.now_iso()
        after = {**before, "acked_by": caller.id, "acked_at": now, "version": before["version"] + 1}
        try:
            with base.transaction() as transaction:
                transaction.update(record, actions=[AlertRecord.acked_by.set(caller.id), AlertRecord.acked_at.set(now),
                                                    AlertRecord.version.add(1)],
                                   condition=AlertRecord.version == record.version, label="alert")
                transaction.save(audit.entry(caller, "alert.ack", alert_id, audit.diff(before, after, ["acked_by"])))
        except base.TransactionCancelled:
            continue  # changed meanwhile (resolved, acknowledged): read it again
        return after
    raise Conflict(f"alert {alert_id} keeps changing; try again")
