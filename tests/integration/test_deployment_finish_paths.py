"""A deployment ends in one of two places: the state machine's final transactions (the ASL's
``Finish*`` states) or ``domain.deployments.finish`` (a cancel, a failed start, the backstops).
Both must leave the same items behind. Each case prepares two identical RUNNING deployments, ends
one through the real ASL states (the machine from the template, started at the state that decides
the outcome) and the other through Python, and compares what each wrote on the deployment, the
service and the day and hour counters."""
from __future__ import annotations

import json
import time

import boto3
import provision
import pytest

from chalicelib.core import clock
from chalicelib.core.settings import get_settings
from chalicelib.domain import deployments as domain
from chalicelib.storage import deployments as store
from chalicelib.storage.deployments import DeploymentRecord, StepMap
from chalicelib.storage.services import ServiceRecord

ENVIRONMENT = "staging"
# Where the machine starts for each way of failing, and what its input adds to the usual one.
ENTRIES = {
    "health check failed": ("HealthCheckFailed", {}),
    "engine error": ("RecordError", {"failure": {"Error": "States.TaskFailed", "Cause": "the build broke"}}),
}


def _sfn():
    return boto3.client("stepfunctions", region_name="us-east-1")


def _machine_starting_at(state: str) -> str:
    """The template's deployment state machine with ``StartAt`` moved to ``state``."""
    resource = provision.load_template()["Resources"]["DeploymentStateMachine"]
    definition = json.loads(resource["Properties"]["DefinitionString"])
    definition["StartAt"] = state
    tables = {f"{name}Table": get_settings().table_name(suffix) for name, suffix in
              (("Deployments", "deployments"), ("Services", "services"), ("Logs", "logs"), ("Counters", "counters"))}
    name = f"idp-test-finish-from-{state}"
    existing = {m["name"]: m["stateMachineArn"] for m in _sfn().list_state_machines()["stateMachines"]}
    if name in existing:
        return existing[name]
    return _sfn().create_state_machine(name=name, definition=provision.substitute(json.dumps(definition), tables),
                                       type="STANDARD", roleArn="arn:aws:iam::123456789012:role/test")["stateMachineArn"]


def _running(slot_holder: str | None) -> DeploymentRecord:
    """A service and its RUNNING deployment in ``ENVIRONMENT``, every step already settled as the
    step that failed leaves them; the environment's slot is held by ``slot_holder`` ("self" for
    the deployment itself, None for nobody)."""
    now = clock.now_iso()
    service_id, deployment_id = clock.new_id(), clock.new_id()
    record = DeploymentRecord(
        deployment_id, service_id=service_id, version="3.1", environment=ENVIRONMENT, status="RUNNING",
        steps=[StepMap(name=name, status="succeeded" if index < 5 else "failed", started_at=now, finished_at=now)
               for index, name in enumerate(domain.STEP_NAMES)],
        current_step=domain.STEP_NAMES[-1], created_at=now, started_at=now,
        service_env=store.service_env(service_id, ENVIRONMENT), sort_key=clock.sort_key(now, deployment_id))
    record.save()
    holder = deployment_id if slot_holder == "self" else slot_holder
    ServiceRecord(service_id, name=f"svc-{service_id[:8]}", owner_id="owner", health="healthy",
                  active_slots={ENVIRONMENT: holder} if holder else {}, created_at=now, updated_at=now, version=4,
                  sort_key=clock.sort_key(now, service_id)).save()
    return record


def _counters() -> dict[str, int]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = get_settings().table_name("counters")
    found = {}
    for kind, key in (("day", f"day#{clock.now_iso()[:10]}"), ("hour", f"hour#{clock.now_iso()[:13]}")):
        item = client.get_item(TableName=table, Key={"pk": {"S": key}}).get("Item", {})
        found.update({f"{kind}:{name}": int(value["N"]) for name, value in item.items() if name.startswith("deployments_")})
    return found


def _outcome(record: DeploymentRecord, before: dict[str, int]) -> dict:
    """What a finish wrote, without what differs by nature (ids, times, the error's wording)."""
    deployment = store.get(record.id, consistent=True)
    service = ServiceRecord.get(record.service_id, consistent_read=True)
    slots = service.active_slots.as_dict() if service.active_slots is not None else {}
    last = {key: value for key, value in (service.last_deployment or {}).as_dict().items()}
    env_last = getattr(service, f"last_deployment_{ENVIRONMENT}")
    env_last = env_last.as_dict() if env_last is not None else None
    after = _counters()
    return {
        "deployment": {"status": deployment.status, "status_env": deployment.status_env,
                       "finished": deployment.finished_at is not None, "has_error": bool(deployment.error),
                       "steps": [step.status for step in deployment.steps]},
        "service": {"health": service.health, "environment_health": getattr(service, f"health_{ENVIRONMENT}"),
                    "last_deployment": {**last, "id": last["id"] == record.id, "finished_at": "finished_at" in last},
                    "same_last_for_the_environment": env_last == last,
                    "slot": {env: holder == record.id for env, holder in slots.items()},
                    "version": service.version, "updated_at": service.updated_at == record.created_at},
        "counters": {key: after.get(key, 0) - before.get(key, 0) for key in after.keys() | before.keys()},
    }


def _finish_in_the_machine(entry: str, slot_holder: str | None) -> dict:
    record = _running(slot_holder)
    before = _counters()
    state, extra = ENTRIES[entry]
    execution = _sfn().start_execution(stateMachineArn=_machine_starting_at(state), name=record.id,
                                       input=json.dumps({**domain.execution_input(record), **extra}))
    deadline = time.monotonic() + 60
    while _sfn().describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.05)
    return _outcome(record, before)


def _finish_in_python(slot_holder: str | None) -> dict:
    record = _running(slot_holder)
    before = _counters()
    assert domain.finish(record.id, "FAILED", "the build broke") is not None
    return _outcome(record, before)


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("slot_holder", ["self", "another-deployment", None])
def test_the_machine_and_python_finish_a_failed_deployment_alike(entry, slot_holder):
    machine = _finish_in_the_machine(entry, slot_holder)
    python = _finish_in_python(slot_holder)
    assert machine == python
    # And what they agree on is the contract: FAILED, the service degraded with this deployment as
    # its newest, the slot freed only when this deployment held it, the service's own fields kept.
    assert python["deployment"]["status"] == "FAILED" and python["deployment"]["status_env"] == f"FAILED#{ENVIRONMENT}"
    assert python["service"]["health"] == python["service"]["environment_health"] == "degraded"
    assert python["service"]["last_deployment"]["id"] and python["service"]["same_last_for_the_environment"]
    assert python["service"]["slot"] == ({ENVIRONMENT: False} if slot_holder == "another-deployment" else {})
    assert python["service"]["version"] == 4 and python["service"]["updated_at"]
    assert python["counters"] == {"day:deployments_failed": 1, "hour:deployments_failed": 1}
