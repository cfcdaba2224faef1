"""Event handlers of the deployment engine (no HTTP): the backstops for executions that end
outside their own Catch. Thin: the logic is in ``chalicelib.domain.deployment_backstops``."""
from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib.domain import deployment_backstops

bp = Blueprint(__name__)

EXECUTION_ENDED = {
    "source": ["aws.states"],
    "detail-type": ["Step Functions Execution Status Change"],
    "detail": {"status": list(deployment_backstops.ENDED)},
}


@bp.on_cw_event(EXECUTION_ENDED, name="deployment_execution_ended")
def deployment_execution_ended(event):
    return {"result": deployment_backstops.on_execution_status_change(event.detail or {})}


@bp.schedule(Rate(1, unit=Rate.MINUTES), name="reconcile_deployments")
def reconcile_deployments(event):
    return deployment_backstops.reconcile()
