"""Deployments table, the daily deployment counters, a deployment's log lines, and the
Step Functions calls of the deployment engine.

A deployment's ``steps`` is a DynamoDB List of Maps so the state machine can update
``steps[i].status`` by index; every write to a deployment (here or in the state machine) is
conditioned on its ``status``, so a finished or cancelled deployment is never brought back.
"""
from __future__ import annotations

import functools
import json

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.core import clock
from chalicelib.core.aws import client
from chalicelib.core.settings import get_settings
from chalicelib.storage.base import (
    FILTERED_READ_LIMIT,
    ByListIndex,
    Page,
    TableModel,
    Transaction,
    index_meta,
    query_page,
    table_meta,
)

LIST_PK = "deployment"


class _ByService(GlobalSecondaryIndex):
    Meta = index_meta("by_service")

    service_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByServiceEnv(GlobalSecondaryIndex):
    Meta = index_meta("by_service_env")

    service_env = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByStatus(GlobalSecondaryIndex):
    Meta = index_meta("by_status")

    status = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByEnvironment(GlobalSecondaryIndex):
    Meta = index_meta("by_environment")

    environment = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByStatusEnv(GlobalSecondaryIndex):
    Meta = index_meta("by_status_env")

    status_env = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class StepMap(MapAttribute):
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)


class DeploymentRecord(TableModel):
    Meta = table_meta("deployments")

    id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    version = UnicodeAttribute()
    environment = UnicodeAttribute()
    status = UnicodeAttribute()
    triggered_by = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    steps = ListAttribute(of=StepMap, default=list)
    current_step = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    rollback_of = UnicodeAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    list_pk = UnicodeAttribute(default=LIST_PK)
    service_env = UnicodeAttribute()
    # "<status>#<environment>", the key of ``by_status_env``: it changes with the status, so every
    # status write sets it too (here, in ``deployments.finish`` and in the state machine).
    status_env = UnicodeAttribute(null=True)
    sort_key = UnicodeAttribute()

    by_list = ByListIndex()
    by_service = _ByService()
    by_service_env = _ByServiceEnv()
    by_status = _ByStatus()
    by_environment = _ByEnvironment()
    by_status_env = _ByStatusEnv()

    def serialize(self, null_check=True):
        # A whole item written (a new deployment, a test's or the benchmark's seed) carries its key too.
        self.status_env = status_env(self.status, self.environment)
        return super().serialize(null_check=null_check)


def service_env(service_id: str, environment: str) -> str:
    return f"{service_id}#{environment}"


def status_env(status: str, environment: str) -> str:
    return f"{status}#{environment}"


def get(deployment_id: str, consistent: bool = False) -> DeploymentRecord | None:
    return DeploymentRecord.find(deployment_id, consistent_read=consistent)


# A filter no index key serves (the status within one service's deployments) is applied while
# reading on: at most this many deployments are read per request before a short page is answered.
MAX_EXAMINED = FILTERED_READ_LIMIT


def list_page(*, limit: int, start_key: dict | None, service_id: str | None = None, environment: str | None = None,
              status: str | None = None) -> Page[DeploymentRecord]:
    """Newest first, on the index whose key serves the filters. Only ``status`` together with
    ``service_id`` remains a filter expression, read on up to ``MAX_EXAMINED`` deployments so
    that pages are full (a service has far fewer deployments than the platform)."""
    residual = None
    target: GlobalSecondaryIndex[DeploymentRecord]
    key: str
    if service_id is not None:
        if environment is not None:
            target, key = DeploymentRecord.by_service_env, service_env(service_id, environment)
        else:
            target, key = DeploymentRecord.by_service, service_id
        if status is not None:
            residual = DeploymentRecord.status == status
    elif status is not None and environment is not None:
        target, key = DeploymentRecord.by_status_env, status_env(status, environment)
    elif status is not None:
        target, key = DeploymentRecord.by_status, status
    elif environment is not None:
        target, key = DeploymentRecord.by_environment, environment
    else:
        target, key = DeploymentRecord.by_list, LIST_PK
    return query_page(target, key, limit=limit, start_key=start_key, filter_condition=residual)


def earlier_in_environment(service_id: str, environment: str, before_sort_key: str, page_size: int = 50):
    """The deployments of a service and environment created before ``before_sort_key``, newest
    first, lazily (pages of ``page_size``)."""
    return DeploymentRecord.by_service_env.query(
        service_env(service_id, environment), range_key_condition=DeploymentRecord.sort_key < before_sort_key,
        scan_index_forward=False, page_size=page_size)


def active_page(status: str, *, limit: int, start_key: dict | None) -> Page[DeploymentRecord]:
    """Deployments in ``status`` (PENDING or RUNNING), oldest first: what the reconciler checks."""
    return query_page(DeploymentRecord.by_status, status, limit=limit, start_key=start_key, newest_first=False)


def new_deployment(deployment_id: str, *, service_id: str, version: str, environment: str, triggered_by: str | None,
                   step_names: tuple[str, ...], rollback_of: str | None, execution_arn: str | None,
                   now: str) -> DeploymentRecord:
    """A PENDING deployment with every step pending, not yet written (see :func:`add`)."""
    return DeploymentRecord(
        deployment_id, service_id=service_id, version=version, environment=environment, status="PENDING",
        triggered_by=triggered_by, steps=[StepMap(name=name, status="pending") for name in step_names],
        rollback_of=rollback_of, execution_arn=execution_arn, created_at=now,
        service_env=service_env(service_id, environment), sort_key=clock.sort_key(now, deployment_id))


def add(tx: Transaction, deployment: DeploymentRecord) -> None:
    tx.save(deployment, condition=DeploymentRecord.id.does_not_exist())


def settle(tx: Transaction, deployment: DeploymentRecord, status: str, now: str, *, error: str | None,
           cancelled_by: str | None, steps: list[tuple[int, str, bool]]) -> None:
    """End the deployment as read with ``status`` at ``now``: ``steps`` are (index, new status,
    whether it finishes now). Refused (label ``deployment``) when its status or any step's status
    moved since it was read (the state machine may have moved on)."""
    actions = [DeploymentRecord.status.set(status), DeploymentRecord.finished_at.set(now),
               DeploymentRecord.status_env.set(status_env(status, deployment.environment))]
    if error is not None:
        actions.append(DeploymentRecord.error.set(error))
    if cancelled_by is not None:
        actions.append(DeploymentRecord.cancelled_by.set(cancelled_by))
    condition = DeploymentRecord.status == deployment.status
    # A step's fields by item access (``steps[i]["status"]``): the same attribute as ``.status``,
    # and typed by pynamodb (a Path), which attribute access on ``steps[i]`` is not.
    for index, step in enumerate(deployment.steps or []):
        condition &= DeploymentRecord.steps[index]["status"] == step.status
    for index, step_status, finishes_now in steps:
        path = DeploymentRecord.steps[index]
        actions.append(path["status"].set(step_status))
        if finishes_now:
            actions.append(path["finished_at"].set(now))
    tx.update(deployment, actions=actions, condition=condition, label="deployment")


def set_missing_status_env(deployment: DeploymentRecord) -> bool:
    """Set ``status_env`` on a deployment stored before it existed (``scripts/backfill``), from
    its status and environment as read: only while it still lacks one and its status has not
    moved (every newer status write sets ``status_env`` itself). False when refused."""
    try:
        DeploymentRecord(deployment.id).update(
            actions=[DeploymentRecord.status_env.set(status_env(deployment.status, deployment.environment))],
            condition=DeploymentRecord.status_env.does_not_exist() & (DeploymentRecord.status == deployment.status)
            & (DeploymentRecord.environment == deployment.environment))
    except UpdateError:
        return False
    return True


# --- Step Functions -------------------------------------------------------------------------


def execution_arn_for(state_machine_arn: str, name: str) -> str:
    """The ARN StartExecution will give an execution called ``name`` (known before the start, so
    the deployment is written with it)."""
    prefix, _, machine = state_machine_arn.partition(":stateMachine:")
    return f"{prefix}:execution:{machine}:{name}"


def start_execution(state_machine_arn: str, name: str, payload: dict) -> str:
    response = client("stepfunctions").start_execution(stateMachineArn=state_machine_arn, name=name,
                                                       input=json.dumps(payload, separators=(",", ":")))
    return response["executionArn"]


def stop_execution(execution_arn: str, error: str, cause: str) -> None:
    client("stepfunctions").stop_execution(executionArn=execution_arn, error=error[:256], cause=cause[:32768])


def describe_execution(execution_arn: str) -> dict | None:
    """The execution, or None when it does not exist."""
    sfn = client("stepfunctions")
    try:
        return sfn.describe_execution(executionArn=execution_arn)
    except sfn.exceptions.ExecutionDoesNotExist:
        return None


# --- Idempotency ----------------------------------------------------------------------------


@functools.cache
def idempotency_store():
    """Powertools' persistence layer on the ``idempotency`` table (key ``id``, TTL ``expiration``)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=get_settings().table_name("idempotency"), key_attr="id",
                                    expiry_attr="expiration")
