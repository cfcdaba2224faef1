"""Deployments: trigger, read, cancel, roll back, and finish from Python.

The work itself (RUNNING, the six steps, the outcome, service health, slot release, daily
counters) is done by the state machine in ``state_machines/deployment.asl.json``. Python writes
the PENDING deployment, claims the slot and starts the execution; it finishes a deployment itself
only when the state machine cannot: a failed start, a cancel, and the backstops
(``chalicelib.domain.deployment_backstops``).

The one-active-deployment rule: ``services.active_slots[<environment>]`` holds the id of the
deployment that owns that environment; it is claimed with ``attribute_not_exists`` in the same
transaction that writes the deployment, and released only by a write conditioned on holding it.
"""
from __future__ import annotations

import json
import math
from fractions import Fraction

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import clock, ids
from chalicelib.core.errors import Conflict, DependencyUnavailable, NotFound
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings
from chalicelib.domain import audit, logs, metrics
from chalicelib.domain.caller import Caller
from chalicelib.domain.logs import LogLine
from chalicelib.observability import logger
from chalicelib.storage import base, services
from chalicelib.storage import deployments as store
from chalicelib.storage import logs as log_store
from chalicelib.storage.base import TransactionCancelled

# The EMF metric of a deployment finished by the API or a backstop (the state machine's own outcomes
# are published from the hour counters by the alert job: it has no Lambda to print them).
FINISHED_EVENTS = {"SUCCESS": metrics.DEPLOYMENT_SUCCEEDED, "FAILED": metrics.DEPLOYMENT_FAILED,
                   "CANCELLED": metrics.DEPLOYMENT_CANCELLED}
STEP_NAMES = ("Pull code", "Install dependencies", "Run tests", "Build", "Deploy", "Health check")
# The seed's durations in seconds (14.5 in all), exact, so rounding is exact too.
SEED_SECONDS = (Fraction(2), Fraction(3), Fraction(5, 2), Fraction(7, 2), Fraction(2), Fraction(3, 2))
STATUSES = ("PENDING", "RUNNING", "SUCCESS", "FAILED", "CANCELLED")
ACTIVE = ("PENDING", "RUNNING")
STEP_STATUSES = ("pending", "running", "succeeded", "failed", "skipped")
AUDITED_FIELDS = ("service_id", "version", "environment", "status", "rollback_of")
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# How many deployments one list request reads at most for a filter no index key serves.
MAX_EXAMINED = store.MAX_EXAMINED
REPLAYED = "response_json"  # the idempotency record's one field: the first answer as JSON text


# --- shaping --------------------------------------------------------------------------------


def to_dict(record) -> dict:
    return {
        "id": record.id,
        "service_id": record.service_id,
        "version": record.version,
        "environment": record.environment,
        "status": record.status,
        "triggered_by": record.triggered_by,
        "cancelled_by": record.cancelled_by,
        "steps": [{"name": step.name, "status": step.status, "started_at": clock.ours(step.started_at),
                   "finished_at": clock.ours(step.finished_at)} for step in record.steps or []],
        "current_step": record.current_step,
        "error": record.error,
        "rollback_of": record.rollback_of,
        "execution_arn": record.execution_arn,
        "created_at": clock.ours(record.created_at),
        "started_at": clock.ours(record.started_at),
        "finished_at": clock.ours(record.finished_at),
    }


# --- the state machine's input ---------------------------------------------------------------


def step_seconds(scale: float) -> list[int]:
    """Whole seconds of waiting per step (a Wait state counts whole seconds only).

    Each step ends at its seed end time, scaled, rounded half *down* to a whole second; a step
    lasts from the previous boundary to its own. So every step is within a second of its scaled
    seed duration, rounding errors never add up, and the whole run waits the scaled 14.5 s
    rounded half down: with scale 1, 2 3 2 4 2 1 = 14 s, and the orchestration itself (about
    0.2 to 0.5 s of DynamoDB writes) fills the last half second, so a run lasts about 14.5 s.
    """
    factor = Fraction(str(scale))
    boundaries, elapsed = [0], Fraction(0)
    for seed in SEED_SECONDS:
        elapsed += seed * factor
        boundaries.append(math.ceil(elapsed - Fraction(1, 2)))
    return [end - start for start, end in zip(boundaries, boundaries[1:], strict=False)]


def execution_input(record) -> dict:
    """What the state machine needs: the deployment, the settings of this run, and the steps
    (each naming the next one, which it hands over to; the last decides the outcome)."""
    settings = get_settings()
    seconds = step_seconds(settings.step_time_scale)
    steps = [{"index": index, "name": name, "seconds": seconds[index], "decides_outcome": index == len(STEP_NAMES) - 1}
             for index, name in enumerate(STEP_NAMES)]
    for step, following in zip(steps, steps[1:], strict=False):
        step["next"] = {"index": following["index"], "name": following["name"]}
    return {
        "deployment": {
            "id": record.id,
            "service_id": record.service_id,
            "version": record.version,
            "environment": record.environment,
            "success_rate": settings.deploy_success_rate,
            # DynamoDB numbers travel as strings; log lines expire after the retention period.
            "log_expires_at": str(clock.epoch() + settings.log_retention_days * 86400),
        },
        "steps": steps,
        "first_step": {"index": steps[0]["index"], "name": steps[0]["name"]},
        "outcome_step": {"index": steps[-1]["index"], "name": steps[-1]["name"]},
    }


def _describe_error(error: Exception) -> str:
    if isinstance(error, ClientError):
        problem = error.response.get("Error", {})
        return f"{problem.get('Code', 'Error')}: {problem.get('Message', '')}".strip()
    return f"{type(error).__name__}: {error}"


# --- trigger ---------------------------------------------------------------------------------


def _service_id_or_404(service_id: str) -> str:
    """The canonical form of a service id; anything that is not a UUID names no service."""
    return ids.require(service_id, "service")


def _slot_holder(service, environment: str) -> str | None:
    return services.active_slots(service).get(environment)


def _free_stale_slot(service, environment: str) -> None:
    """409 while another deployment of this service and environment is PENDING or RUNNING.
    A slot still held by a finished deployment (its release failed) is freed here, so a lost
    release never blocks an environment for good."""
    holder = _slot_holder(service, environment)
    if holder is None:
        return
    deployment = store.get(holder, consistent=True)
    if deployment is not None and deployment.status in ACTIVE:
        raise Conflict(f"service {service.id} already has an active deployment in {environment}: {holder}",
                       extra={"active_deployment_id": holder})
    # When someone else moved it meanwhile, the claim that follows decides.
    if services.release_slot_of(service.id, environment, holder):
        logger.warning("freed a slot held by a finished deployment", extra={"service_id": service.id,
                                                                             "deployment_id": holder})


def _create(caller: Caller, service_id: str, version: str, environment: str, *, action: str,
            rollback_of: str | None = None) -> dict:
    """One transaction writes the PENDING deployment, claims the environment's slot on the service
    (conditioned on the service existing and the slot being free) and writes the audit entry; then
    the execution starts. The service is read only when the claim fails: to tell an unknown service
    (404) from an active deployment (409) from a slot a finished deployment never released (freed,
    then claimed again once)."""
    service_id = _service_id_or_404(service_id)
    machine = get_settings().state_machine_arn
    freed = False

    def attempt():
        now = clock.now_iso()
        deployment_id = clock.new_id()
        record = store.new_deployment(
            deployment_id, service_id=service_id, version=version, environment=environment, triggered_by=caller.id,
            step_names=STEP_NAMES, rollback_of=rollback_of,
            execution_arn=store.execution_arn_for(machine, deployment_id) if machine else None, now=now)
        created = to_dict(record)
        with base.transaction() as transaction:
            store.add(transaction, record)
            services.claim_slot(transaction, service_id, environment, deployment_id)
            audit.record(transaction, caller, action, deployment_id, audit.diff(None, created, AUDITED_FIELDS))
            metrics.bump_daily(transaction, "deployments_triggered")
        return record, created

    def claim_refused(cancelled: TransactionCancelled) -> bool:
        nonlocal freed
        if cancelled.conflict:
            return True
        if "slot" not in cancelled.failed:
            return False
        service = services.get(service_id)
        if service is None:
            raise NotFound(f"service {service_id} not found") from None
        if freed:
            raise Conflict(f"service {service_id} already has an active deployment in {environment}") from None
        _free_stale_slot(service, environment)  # 409 while its holder is active
        freed = True
        return True

    record, created = base.with_retries(attempt, when=claim_refused)
    metrics.count(metrics.DEPLOYMENT_TRIGGERED)
    _start(record)
    return created


def _start(record) -> None:
    """Start the execution (named after the deployment, so a repeated start is the same one).
    If it cannot start, the deployment ends FAILED with the reason and the slot is released."""
    machine = get_settings().state_machine_arn
    try:
        if machine is None:
            raise RuntimeError("IDP_STATE_MACHINE_ARN is not set")
        store.start_execution(machine, record.id, execution_input(record))
    except (ClientError, BotoCoreError, RuntimeError) as error:
        reason = f"the deployment could not be started: {_describe_error(error)}"
        logger.error("deployment start failed", extra={"deployment_id": record.id, "error": reason})
        finish(record.id, "FAILED", reason, record=record)
        raise DependencyUnavailable(f"deployment {record.id} could not be started (the workflow engine is "
                                    "unavailable); it was marked FAILED, try again later",
                                    extra={"deployment_id": record.id}) from None


def _trigger_once(caller: Caller, request: dict) -> dict:
    body = request["body"]
    created = _create(caller, body["service_id"], body["version"], body["environment"], action="deployment.trigger")
    # Powertools stores the result with sorted keys: kept as JSON text, a replay answers the
    # first response's fields in the first response's order.
    return {REPLAYED: json.dumps(created)}


def trigger(caller: Caller, service_id: str, version: str, environment: str, *, idempotency_key: str | None = None,
            lambda_context=None) -> dict:
    """Write a PENDING deployment, claim the slot, start the execution. With an idempotency key,
    a retry with the same key and body answers the first result and starts nothing."""
    if idempotency_key is None:
        return _create(caller, service_id, version, environment, action="deployment.trigger")
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    # Keys are per caller: two users choosing the same key never see each other's deployment.
    request = {"caller": caller.id, "key": idempotency_key,
               "body": {"service_id": service_id, "version": version, "environment": environment}}
    config = IdempotencyConfig(event_key_jmespath="[caller, key]", payload_validation_jmespath="body",
                               expires_after_seconds=IDEMPOTENCY_TTL_SECONDS, hash_function="sha256",
                               lambda_context=lambda_context if hasattr(lambda_context,
                                                                        "get_remaining_time_in_millis") else None)
    once = idempotent_function(_trigger_once, data_keyword_argument="request", persistence_store=store.idempotency_store(),
                               config=config, key_prefix="deployment.trigger")
    try:
        result = once(caller=caller, request=request)
    except IdempotencyValidationError:
        raise Conflict("this Idempotency-Key was already used with a different request body; send the same body "
                       "to get the first answer again, or use a new key for a new deployment") from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry in a moment") from None
    except IdempotencyPersistenceLayerError as error:
        logger.error("idempotency store failed", extra={"error": str(error)})
        raise DependencyUnavailable("the idempotency store is unavailable; try again later") from None
    return json.loads(result[REPLAYED]) if REPLAYED in result else result  # else: stored before REPLAYED existed


# --- finishing from Python -------------------------------------------------------------------


def settled_steps(steps: list[str], status: str) -> list[tuple[int, str, bool]]:
    """How a deployment ending as ``status`` settles its steps (given by status, in order): the
    running one fails on FAILED and is skipped otherwise, and finishes now; pending ones are
    skipped (they never started, so they get no finish time); finished ones stay. As
    (index, new status, finishes now)."""
    settled = []
    for index, step_status in enumerate(steps):
        if step_status == "running":
            settled.append((index, "failed" if status == "FAILED" else "skipped", True))
        elif step_status == "pending":
            settled.append((index, "skipped", False))
    return settled


def finish(deployment_id: str, status: str, error: str | None, *, caller: Caller | None = None,
           action: str | None = None, record=None):
    """End a PENDING or RUNNING deployment as ``status`` (FAILED or CANCELLED) in one
    transaction: the deployment with its steps settled (not succeeded → skipped; on FAILED the
    running one → failed, with its times) and, on CANCELLED, ``cancelled_by``; its log line (ERROR
    with the reason, or WARN naming who cancelled); the service's ``last_deployment`` and
    ``health`` (degraded on FAILED), the same for the environment, and the slot released if this
    deployment still holds it; the day and hour counters; and the audit entry when a user did it.
    So whoever reads the terminal status sees all of it. Returns the finished record, or None when
    the deployment was already finished (so every caller is idempotent).

    ``record``: the deployment as the caller just read it (saves reading it again). The first try
    takes the service's slot to be held by this deployment (an active deployment holds its slot;
    the condition checks it); any refusal re-reads the deployment and the service and tries again
    (the state machine may move a step meanwhile)."""
    cancelled_by = caller.id if status == "CANCELLED" and caller is not None else None
    stored_error = error[:2000] if error is not None else None
    first_try = True

    def attempt():
        nonlocal first_try
        current = record if first_try and record is not None else store.get(deployment_id, consistent=True)
        if current is None or current.status not in ACTIVE:
            return None
        now = clock.now_iso()
        before = to_dict(current)
        steps = settled_steps([step.status for step in current.steps or []], status)
        if first_try:
            service_known, holds_slot = True, True
        else:
            service = services.get(current.service_id)
            service_known = service is not None
            holds_slot = service_known and _slot_holder(service, current.environment) == current.id
        first_try = False
        last = {"id": current.id, "status": status, "version": current.version, "environment": current.environment,
                "finished_at": now}
        with base.transaction() as transaction:
            store.settle(transaction, current, status, now, error=stored_error, cancelled_by=cancelled_by, steps=steps)
            log_store.add(transaction, _finish_line(current, status, error, caller, now))
            if service_known:
                services.record_finish(transaction, current.service_id, last, degraded=status == "FAILED",
                                       holds_slot=holds_slot)
            # The same day and hour counters the state machine bumps when it finishes a deployment.
            metrics.bump_daily(transaction, f"deployments_{status.lower()}", hourly=True)
            if caller is not None and action is not None:
                audit.record(transaction, caller, action, current.id,
                             audit.diff(before, {**before, "status": status}, ["status"]))
        return current, steps, now

    try:
        done = base.with_retries(attempt, when=lambda cancelled: True)
    except TransactionCancelled:
        raise Conflict(f"deployment {deployment_id} kept changing; try again") from None
    if done is None:
        return None
    finished, steps, now = done
    # Committed, conditioned on what was read: the stored deployment is now exactly this.
    finished.status, finished.finished_at = status, now
    finished.status_env = store.status_env(status, finished.environment)
    finished.cancelled_by = cancelled_by or finished.cancelled_by
    if stored_error is not None:
        finished.error = stored_error
    for index, step_status, finishes_now in steps:
        finished.steps[index].status = step_status
        if finishes_now:
            finished.steps[index].finished_at = now
    metrics.count(FINISHED_EVENTS[status])
    return finished


def _finish_line(record, status: str, error: str | None, caller: Caller | None, now: str):
    """The log line of a deployment finished from Python, written in the transaction that finishes it."""
    if status == "CANCELLED":
        who = (caller.email or caller.id) if caller is not None else "the platform"
        line = LogLine(record.service_id, "WARN", f"Cancelled by {who}", record.id, timestamp=now,
                       metadata={"cancelled_by": caller.id if caller is not None else None})
    else:
        line = LogLine(record.service_id, "ERROR", f"Deployment failed: {error or status}", record.id, timestamp=now,
                       metadata={"status": status})
    return logs.new_record(line)


# --- reads -----------------------------------------------------------------------------------


def get_deployment(deployment_id: str) -> dict:
    record = store.get(deployment_id)
    if record is None:
        raise NotFound(f"deployment {deployment_id} not found")
    return to_dict(record)


def list_deployments(*, limit: int, cursor: str | None, service_id: str | None = None, status: str | None = None,
                     environment: str | None = None) -> dict:
    scope = f"deployments|{service_id}|{status}|{environment}"
    page = store.list_page(limit=limit, start_key=decode_cursor(scope, cursor), service_id=service_id,
                           environment=environment, status=status)
    return {"items": [to_dict(r) for r in page.items], "next_cursor": encode_cursor(scope, page.last_key)}


def list_for_service(service_id: str, *, limit: int, cursor: str | None) -> dict:
    """A service's deployments, newest first. A deleted service's history stays readable; a
    service that never existed (nor deployed) is a 404."""
    scope = f"service-deployments|{service_id}"
    page = store.list_page(limit=limit, start_key=decode_cursor(scope, cursor), service_id=service_id)
    if not page.items and cursor is None and services.get(service_id) is None:
        raise NotFound(f"service {service_id} not found")
    return {"items": [to_dict(r) for r in page.items], "next_cursor": encode_cursor(scope, page.last_key)}


def list_logs(deployment_id: str, *, limit: int, cursor: str | None, level: str | None = None,
              since: str | None = None, until: str | None = None) -> dict:
    """A deployment's lines, oldest first, one Query on ``by_deployment`` per page (``level`` and
    the ``since``/``until`` window narrow it); whether the deployment exists is asked only when
    the first page is empty (a deployment with lines costs one call)."""
    logs.check_window(since, until)
    narrowed = (level, since, until) != (None, None, None)
    scope = f"deployment-logs|{deployment_id}" + (f"|{level}|{since}|{until}" if narrowed else "")
    page = log_store.deployment_page(deployment_id, limit=limit, start_key=decode_cursor(scope, cursor), level=level,
                                     since=since, until=until)
    if not page.items and cursor is None and store.get(deployment_id) is None:
        raise NotFound(f"deployment {deployment_id} not found")
    return {"items": [logs.to_dict(r) for r in page.items], "next_cursor": encode_cursor(scope, page.last_key)}


# --- cancel and rollback ---------------------------------------------------------------------


def cancel(caller: Caller, deployment_id: str) -> dict:
    record = store.get(deployment_id, consistent=True)
    if record is None:
        raise NotFound(f"deployment {deployment_id} not found")
    if record.status not in ACTIVE:
        raise Conflict(f"deployment {deployment_id} is {record.status}; only PENDING or RUNNING deployments can be "
                       "cancelled")
    finished = finish(deployment_id, "CANCELLED", None, caller=caller, action="deployment.cancel", record=record)
    if finished is None:
        now = store.get(deployment_id, consistent=True)
        raise Conflict(f"deployment {deployment_id} finished as {now.status if now else 'deleted'} before it could "
                       "be cancelled")
    # Stopped only after CANCELLED is committed: the execution's own writes are conditioned on the
    # status, so from here on it can change nothing, and the ABORTED event finds nothing to fix.
    if finished.execution_arn:
        try:
            store.stop_execution(finished.execution_arn, "DeploymentCancelled", f"cancelled by {caller.email or caller.id}")
        except (ClientError, BotoCoreError) as error:
            logger.warning("stop execution failed", extra={"deployment_id": deployment_id,
                                                           "error": _describe_error(error)})
    return to_dict(finished)


def rollback(caller: Caller, deployment_id: str) -> dict:
    """Redeploy the newest SUCCESS deployment of the same service and environment created before
    this one whose version differs from this one's."""
    record = store.get(deployment_id)
    if record is None:
        raise NotFound(f"deployment {deployment_id} not found")
    target = None
    for earlier in store.earlier_in_environment(record.service_id, record.environment, record.sort_key):
        if earlier.status == "SUCCESS" and earlier.version != record.version:
            target = earlier
            break
    if target is None:
        raise Conflict(f"there is no earlier successful deployment of another version of service {record.service_id} "
                       f"in {record.environment} to roll back to")
    return _create(caller, record.service_id, target.version, record.environment, action="deployment.rollback",
                   rollback_of=record.id)

