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
from chalicelib.storage.alerts import OPEN, RESOLVED

FAILURE_RATE = "deployment_failure_rate"
SERVICE_REGISTERED = "service_registered"
CRITICAL = "critical"
INFO = "info"

FAILURE_RATE_THRESHOLD = 0.20  # strictly more than this fraction failed
FAILURE_RATE_MIN_FINISHED = 5
FAILURE_RATE_WINDOW_HOURS = 24
INFO_ALERT_HOURS = 24
MAX_OPEN_PAGES = 10  # open alerts read per job run: 10 Queries of 100 at most


def to_dict(record) -> dict:
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


def _new_alert(rule: str, subject: str, severity: str, message: str):
    return store.new_alert(clock.new_id(), rule=rule, subject=subject, severity=severity, message=message,
                           now=clock.now_iso())


def service_registered(transaction, service_id: str, service_name: str):
    """Add an info alert "service registered" to the transaction that registers the service."""
    record = _new_alert(SERVICE_REGISTERED, service_id, INFO, f"service {service_name} was registered")
    store.add_open(transaction, record)
    return record


def open_alert(rule: str, subject: str, severity: str, message: str):
    """Open an alert unless one is already open for this rule and subject (then None)."""
    record = _new_alert(rule, subject, severity, message)
    try:
        with base.transaction() as transaction:
            store.add_open(transaction, record)
    except base.TransactionCancelled as cancelled:
        if "alert-guard" in cancelled.failed:
            return None
        raise
    logger.warning("alert opened", extra={"alert": to_dict(record)})
    return record


def resolve(rule: str, subject: str):
    """Resolve the open alert of this rule and subject, if any; returns it."""
    claimed_by, record = store.open_alert_for(rule, subject)
    if claimed_by is None:
        return None
    now = clock.now_iso()
    try:
        with base.transaction() as transaction:
            store.resolve(transaction, rule, subject, claimed_by, record, now)
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


def _open_alerts() -> list:
    found: list = []
    start_key = None
    for _ in range(MAX_OPEN_PAGES):
        page = store.list_page(100, start_key, status=OPEN)
        found.extend(page.items)
        start_key = page.last_key
        if start_key is None:
            break
    return found


def _expire_info_alerts(open_alerts: list, moment: datetime, report: dict) -> None:
    cutoff = clock.iso(moment - timedelta(hours=INFO_ALERT_HOURS))
    for record in open_alerts:
        if record.rule == SERVICE_REGISTERED and record.opened_at <= cutoff:
            if resolve(record.rule, record.subject) is not None:
                report["resolved"].append(f"{record.rule}:{record.subject}")


def _publish(record, topic_arn: str) -> None:
    body = {k: v for k, v in to_dict(record).items() if k != "version"}
    subject = f"[{record.severity.upper()}] IDP alert: {record.rule}"[:100]
    aws.client("sns").publish(TopicArn=topic_arn, Subject=subject, Message=json.dumps(body),
                              MessageAttributes={"severity": {"DataType": "String", "StringValue": record.severity},
                                                 "rule": {"DataType": "String", "StringValue": record.rule}})


def _notify_new(open_alerts: list, report: dict) -> None:
    topic_arn = get_settings().alerts_topic_arn
    if topic_arn is None:
        return
    for record in open_alerts:
        if record.notified_at is not None:
            continue
        try:
            _publish(record, topic_arn)
            if not store.mark_notified(record, clock.now_iso()):
                continue  # published by a concurrent run meanwhile
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
    """Note who acknowledged the alert (once: acknowledging again changes nothing)."""
    def attempt() -> dict:
        record = store.get(alert_id)
        if record is None:
            raise NotFound(f"alert {alert_id} not found")
        if record.acked_by is not None:
            return to_dict(record)
        before = to_dict(record)
        now = clock.now_iso()
        after = {**before, "acked_by": caller.id, "acked_at": now, "version": before["version"] + 1}
        with base.transaction() as transaction:
            store.acknowledge(transaction, record, caller.id, now)
            audit.record(transaction, caller, "alert.ack", alert_id, audit.diff(before, after, ["acked_by"]))
        return after

    try:
        # Changed meanwhile (resolved, acknowledged): read it again.
        return base.with_retries(attempt, when=lambda cancelled: True)
    except base.TransactionCancelled:
        raise Conflict(f"alert {alert_id} keeps changing; try again") from None
