"""Backstops of the deployment engine, for executions that die outside their own Catch (a
timeout, a stop from the console, a crash of the engine, a start that was lost): one reacts to
Step Functions' "Execution Status Change" events, one reconciles on a schedule. Both only ever
finish a deployment that is still PENDING or RUNNING (through ``deployments.finish``, whose writes
are conditioned on that), so running them twice, or after the state machine, changes nothing.
"""
from __future__ import annotations

from datetime import timedelta

from chalicelib.core import clock
from chalicelib.core.settings import get_settings
from chalicelib.domain import deployments
from chalicelib.observability import logger
from chalicelib.storage import deployments as store

ENDED = ("FAILED", "TIMED_OUT", "ABORTED")
# A PENDING deployment whose execution does not exist yet may be between its transaction and
# StartExecution: only after this long is the start taken as lost.
START_GRACE = timedelta(seconds=60)
PAGE_SIZE = 100
MAX_PAGES = 5  # per status and run: at most 1 000 DescribeExecution calls a minute


def _reason(status: str, error: str | None, cause: str | None) -> str:
    details = ": ".join(part for part in (error, cause) if part)
    return f"the workflow execution ended {status}" + (f" ({details})" if details else "")


def on_execution_status_change(detail: dict) -> str:
    """An EventBridge "Step Functions Execution Status Change" event's ``detail``. Returns what it
    did: ``failed`` (the deployment was marked FAILED), ``unchanged`` or ``ignored``."""
    status = detail.get("status")
    execution_arn = detail.get("executionArn") or ""
    machine = get_settings().state_machine_arn
    if status not in ENDED or not execution_arn:
        return "ignored"
    if machine is not None and detail.get("stateMachineArn") not in (None, machine):
        return "ignored"  # another state machine's execution
    record = store.get(detail.get("name") or execution_arn.rsplit(":", 1)[-1])
    if record is None or (record.execution_arn is not None and record.execution_arn != execution_arn):
        return "ignored"
    finished = deployments.finish(record.id, "FAILED", _reason(status, detail.get("error"), detail.get("cause")))
    if finished is None:
        return "unchanged"
    logger.warning("deployment failed by the execution status event", extra={"deployment_id": record.id,
                                                                              "execution_status": status})
    return "failed"


def _check(record, now) -> str:
    age = now - clock.parse_iso(record.created_at)
    execution = store.describe_execution(record.execution_arn) if record.execution_arn else None
    if execution is None:
        if age < START_GRACE:
            return "unchanged"
        reason = "the workflow execution never started"
    elif execution["status"] == "RUNNING":
        return "unchanged"
    else:
        reason = _reason(execution["status"], execution.get("error"), execution.get("cause"))
        if execution["status"] == "SUCCEEDED":
            reason = "the workflow execution ended without recording an outcome"
    if deployments.finish(record.id, "FAILED", reason) is None:
        return "unchanged"
    logger.warning("deployment failed by the reconciler", extra={"deployment_id": record.id, "reason": reason})
    return "failed"


def reconcile(now=None) -> dict:
    """Find PENDING and RUNNING deployments (the ``by_status`` index, oldest first; no Scan) whose
    execution is over, or never started, and finish them FAILED. Returns counts."""
    now = now or clock.now()
    summary = {"checked": 0, "failed": 0}
    for status in deployments.ACTIVE:
        start_key = None
        for _ in range(MAX_PAGES):
            page = store.active_page(status, limit=PAGE_SIZE, start_key=start_key)
            for record in page.items:
                summary["checked"] += 1
                try:
                    outcome = _check(record, now)
                except Exception:  # noqa: BLE001 - one bad deployment must not stop the others
                    logger.exception("reconciling a deployment failed", extra={"deployment_id": record.id})
                    continue
                summary["failed"] += outcome == "failed"
            start_key = page.last_key
            if not start_key:
                break
    return summary
