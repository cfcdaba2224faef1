"""The deployment engine: the real state machine (from the template) runs in moto in-process.

Services are written straight to storage (``make_service``), so each test sets up exactly the
service record it needs."""
from __future__ import annotations

import contextlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import boto3
import provision
import pytest
from chalice.test import Client

from app import app
from chalicelib.core import clock
from chalicelib.core.settings import get_settings
from chalicelib.domain import deployment_backstops
from chalicelib.domain import deployments as domain
from chalicelib.storage import deployments as store
from chalicelib.storage.deployments import DeploymentRecord, StepMap
from chalicelib.storage.services import ServiceRecord
from tests.conftest import overridden_settings
from tests.support import count_aws_calls

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = ("SUCCESS", "FAILED", "CANCELLED")
STEP_NAMES = ["Pull code", "Install dependencies", "Run tests", "Build", "Deploy", "Health check"]
FIELDS = {"id", "service_id", "version", "environment", "status", "triggered_by", "cancelled_by", "steps",
          "current_step", "error", "rollback_of", "execution_arn", "created_at", "started_at", "finished_at"}


# --- helpers -------------------------------------------------------------------------------


def make_service(owner_id: str, name: str | None = None) -> str:
    """A service as the catalog stores it."""
    now = clock.now_iso()
    service_id = clock.new_id()
    ServiceRecord(service_id, name=name or f"svc-{service_id[:8]}", owner_id=owner_id, created_at=now, updated_at=now,
                  sort_key=clock.sort_key(now, service_id)).save()
    return service_id


def make_deployment(service_id: str, version: str, status: str, environment: str = "production",
                    created_at: str | None = None) -> str:
    """A finished deployment written straight to storage: history for rollback and list tests."""
    created_at = created_at or clock.now_iso()
    deployment_id = clock.new_id()
    step_status = {"SUCCESS": "succeeded", "FAILED": "succeeded", "CANCELLED": "skipped"}.get(status, "pending")
    DeploymentRecord(deployment_id, service_id=service_id, version=version, environment=environment, status=status,
                     steps=[StepMap(name=name, status=step_status) for name in STEP_NAMES], created_at=created_at,
                     service_env=store.service_env(service_id, environment),
                     sort_key=clock.sort_key(created_at, deployment_id)).save()
    return deployment_id


def wait_for(api, token: str, deployment_id: str, statuses=TERMINAL, timeout: float = 30.0) -> dict:
    """Poll ``GET /deployments/{id}`` until its status is one of ``statuses`` (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = api.get(f"/deployments/{deployment_id}", token=token)
        assert reply.status == 200, reply.body
        if reply.body["status"] in statuses:
            return reply.body
        assert time.monotonic() < deadline, f"deployment still {reply.body['status']} after {timeout}s"
        time.sleep(0.05)


def sfn():
    return boto3.client("stepfunctions", region_name="us-east-1")


def machine_with(name: str, **wrong_tables: str) -> str:
    """The deployment state machine from the template, created with some table names replaced."""
    template = provision.load_template()
    resource = template["Resources"]["DeploymentStateMachine"]
    tables = {key: f"idp-test-{suffix}" for key, suffix in
              (("DeploymentsTable", "deployments"), ("ServicesTable", "services"), ("LogsTable", "logs"),
               ("CountersTable", "counters"))}
    tables.update(wrong_tables)
    definition = provision.substitute(resource["Properties"]["DefinitionString"], tables)
    existing = {m["name"]: m["stateMachineArn"] for m in sfn().list_state_machines()["stateMachines"]}
    if name in existing:
        return existing[name]
    return sfn().create_state_machine(name=name, definition=definition, type="STANDARD",
                                      roleArn="arn:aws:iam::123456789012:role/test")["stateMachineArn"]


def wait_execution(execution_arn: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        execution = sfn().describe_execution(executionArn=execution_arn)
        if execution["status"] != "RUNNING":
            return execution
        assert time.monotonic() < deadline, "execution still RUNNING"
        time.sleep(0.05)


def counters(period: str, kind: str = "day") -> dict:
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName="idp-test-counters", Key={"pk": {"S": f"{kind}#{period}"}}).get("Item", {})
    return {k: int(v["N"]) for k, v in item.items() if k.startswith("deployments_")}


def trigger(api, session, service_id, version="v1.0.0", environment=None, headers=None):
    body = {"service_id": service_id, "version": version}
    if environment is not None:
        body["environment"] = environment
    return api.post("/deployments", body, token=session.token, headers=headers)


@pytest.fixture(autouse=True)
def no_execution_outlives_its_test():
    """An execution left running would write into the next test's (emptied) tables."""
    yield
    client = sfn()
    deadline = time.monotonic() + 15
    for machine in client.list_state_machines()["stateMachines"]:
        arn = machine["stateMachineArn"]
        for execution in client.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
            with contextlib.suppress(Exception):
                client.stop_execution(executionArn=execution["executionArn"])
        while client.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
            assert time.monotonic() < deadline, "an execution would not stop"
            time.sleep(0.05)


# --- the happy path, failure and errors ------------------------------------------------------


def test_a_deployment_runs_the_six_steps_to_success(api, developer, viewer):
    service_id = make_service(developer.id)
    reply = trigger(api, developer, service_id)
    assert reply.status == 202, reply.body
    created = reply.body
    assert set(created) == FIELDS
    assert reply.header("Location") == f"/deployments/{created['id']}"
    assert created["status"] == "PENDING" and created["environment"] == "production"
    assert created["triggered_by"] == developer.id and created["version"] == "v1.0.0"
    assert [s["name"] for s in created["steps"]] == STEP_NAMES
    assert {s["status"] for s in created["steps"]} == {"pending"}
    assert created["execution_arn"].endswith(f":execution:idp-test-deployment:{created['id']}")

    done = wait_for(api, viewer.token, created["id"])
    assert done["status"] == "SUCCESS", done["error"]
    assert done["error"] is None and done["cancelled_by"] is None
    assert done["created_at"] <= done["started_at"] <= done["finished_at"]
    assert [s["status"] for s in done["steps"]] == ["succeeded"] * 6
    times = [t for s in done["steps"] for t in (s["started_at"], s["finished_at"])]
    assert all(t.endswith("Z") for t in times)
    assert times == sorted(times) and done["started_at"] <= times[0] and times[-1] <= done["finished_at"]

    logs = api.get(f"/deployments/{created['id']}/logs?limit=100", token=viewer.token).body
    lines = logs["items"]
    assert logs["next_cursor"] is None and len(lines) == 13
    expected = [f"{name} {phase}" for name in STEP_NAMES for phase in ("started", "succeeded")]
    assert [line["message"] for line in lines[:12]] == expected
    assert all(line["level"] == "INFO" and line["deployment_id"] == created["id"] and line["service_id"] == service_id
               for line in lines)
    assert "succeeded" in lines[12]["message"] and "v1.0.0" in lines[12]["message"]
    assert [line["timestamp"] for line in lines] == sorted(line["timestamp"] for line in lines)
    assert lines[0]["metadata"]["name"] == "Pull code"

    service = ServiceRecord.get(service_id)
    assert service.health == "healthy"
    assert service.last_deployment.as_dict() == {  # as the machine wrote it: in the platform's time format
        "id": created["id"], "status": "SUCCESS", "version": "v1.0.0", "environment": "production",
        "finished_at": done["finished_at"]}
    # The counters come after the outcome's transaction, within the same execution.
    assert wait_execution(done["execution_arn"])["status"] == "SUCCEEDED"
    assert counters(done["finished_at"][:10]).get("deployments_success") == 1
    # The hour item too: the failure-rate alert rule reads the last 24 hour items.
    assert counters(done["finished_at"][:13], "hour").get("deployments_success") == 1
    entries = api.get(f"/audit?resource_id={created['id']}", token=developer.token).body["items"]
    assert [e["action"] for e in entries] == ["deployment.trigger"]
    assert entries[0]["changes"]["version"] == {"from": None, "to": "v1.0.0"}

    # The slot is free again: the next deployment is accepted.
    again = trigger(api, developer, service_id, version="v1.0.1")
    assert again.status == 202, again.body
    wait_for(api, developer.token, again.body["id"])
    listed = api.get(f"/services/{service_id}/deployments", token=viewer.token).body["items"]
    assert [d["id"] for d in listed] == [again.body["id"], created["id"]]


def test_a_failed_health_check_fails_the_deployment_and_degrades_the_service(api, developer):
    service_id = make_service(developer.id)
    with overridden_settings(IDP_DEPLOY_SUCCESS_RATE="0"):
        reply = trigger(api, developer, service_id, version="2.0")
    assert reply.status == 202
    done = wait_for(api, developer.token, reply.body["id"])
    assert done["status"] == "FAILED"
    assert wait_execution(done["execution_arn"])["status"] == "SUCCEEDED"  # a failed outcome, not an error
    assert "Health check failed" in done["error"] and "2.0" in done["error"]
    assert [s["status"] for s in done["steps"]] == ["succeeded"] * 5 + ["failed"]
    health_check = done["steps"][5]
    assert health_check["started_at"] <= health_check["finished_at"] <= done["finished_at"]
    assert done["current_step"] == "Health check"

    lines = api.get(f"/deployments/{done['id']}/logs?limit=100", token=developer.token).body["items"]
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1 and "Health check failed" in errors[0]["message"]
    assert len(lines) == 12 and lines[-1] == errors[0]
    service = ServiceRecord.get(service_id)
    assert service.health == "degraded" and service.last_deployment["status"] == "FAILED"
    assert counters(done["finished_at"][:10]).get("deployments_failed") == 1
    assert counters(done["finished_at"][:13], "hour").get("deployments_failed") == 1
    assert trigger(api, developer, service_id, version="2.1").status == 202  # the slot is free


def test_a_dynamodb_error_inside_the_machine_ends_failed_with_the_error(api, developer):
    """The logs table the machine writes to does not exist: its first log line fails, the Catch
    ends the deployment FAILED, naming the error, and frees the slot."""
    service_id = make_service(developer.id)
    broken = machine_with("idp-test-deployment-no-logs", LogsTable="idp-test-no-such-table")
    with overridden_settings(IDP_STATE_MACHINE_ARN=broken):
        reply = trigger(api, developer, service_id)
    assert reply.status == 202
    done = wait_for(api, developer.token, reply.body["id"])
    assert done["status"] == "FAILED"
    assert "ResourceNotFoundException" in done["error"]
    assert [s["status"] for s in done["steps"]] == ["failed"] + ["skipped"] * 5
    assert done["steps"][0]["started_at"] and done["steps"][0]["finished_at"]
    assert wait_execution(done["execution_arn"])["status"] == "FAILED"  # visible to operators too
    service = ServiceRecord.get(service_id)
    assert service.health == "degraded" and service.last_deployment["id"] == done["id"]
    assert trigger(api, developer, service_id, version="v2").status == 202


def test_when_the_machine_cannot_write_the_deployment_the_backstops_finish_it(api, developer):
    """The deployments table is wrong: the machine cannot even mark the deployment RUNNING. It
    frees the slot and fails; the reconciler then marks the deployment FAILED, once."""
    service_id = make_service(developer.id)
    broken = machine_with("idp-test-deployment-no-table", DeploymentsTable="idp-test-no-such-table")
    with overridden_settings(IDP_STATE_MACHINE_ARN=broken):
        created = trigger(api, developer, service_id).body
        assert wait_execution(created["execution_arn"])["status"] == "FAILED"
        assert api.get(f"/deployments/{created['id']}", token=developer.token).body["status"] == "PENDING"
        with Client(app, stage_name="local") as client:
            tick = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                   resources=[])
            first = client.lambda_.invoke("reconcile_deployments", tick)
            second = client.lambda_.invoke("reconcile_deployments", tick)
    assert first.payload == {"checked": 1, "failed": 1}
    assert second.payload == {"checked": 0, "failed": 0}
    done = api.get(f"/deployments/{created['id']}", token=developer.token).body
    assert done["status"] == "FAILED" and "FAILED" in done["error"]
    assert [s["status"] for s in done["steps"]] == ["skipped"] * 6
    assert ServiceRecord.get(service_id).health == "degraded"
    assert trigger(api, developer, service_id, version="v2").status == 202


def test_a_failed_start_ends_failed_and_frees_the_slot(api, developer):
    service_id = make_service(developer.id)
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:idp-test-missing"
    with overridden_settings(IDP_STATE_MACHINE_ARN=missing):
        reply = trigger(api, developer, service_id)
    assert reply.status == 503, reply.body
    deployment = api.get(f"/deployments/{reply.body['deployment_id']}", token=developer.token).body
    assert deployment["status"] == "FAILED" and "could not be started" in deployment["error"]
    assert "StateMachineDoesNotExist" in deployment["error"]
    assert {s["status"] for s in deployment["steps"]} == {"skipped"}
    assert trigger(api, developer, service_id).status == 202


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_during_running_stops_it_and_the_machine_cannot_undo_it(api, developer, viewer):
    service_id = make_service(developer.id)
    with overridden_settings(IDP_STEP_TIME_SCALE="1"):  # real waits: the deployment stays RUNNING long enough
        created = trigger(api, developer, service_id).body
    running = wait_for(api, developer.token, created["id"], statuses=("RUNNING",))
    assert running["steps"][0]["status"] == "running" and running["current_step"] == "Pull code"

    assert api.post(f"/deployments/{created['id']}/cancel", token=viewer.token).status == 403
    reply = api.post(f"/deployments/{created['id']}/cancel", token=developer.token)
    assert reply.status == 200, reply.body
    cancelled = reply.body
    assert cancelled["status"] == "CANCELLED" and cancelled["finished_at"]
    assert all(s["status"] in ("succeeded", "skipped") for s in cancelled["steps"])
    assert cancelled["steps"][-1]["status"] == "skipped"

    # ABORTED on AWS; moto's Map trips over the stop and reports FAILED. Either way it is over.
    assert wait_execution(created["execution_arn"])["status"] in ("ABORTED", "FAILED")
    lines_then = api.get(f"/deployments/{created['id']}/logs?limit=100", token=developer.token).body["items"]
    time.sleep(1.2)  # past the first step's wait: a machine still alive would write now
    assert api.get(f"/deployments/{created['id']}", token=developer.token).body == cancelled
    assert api.get(f"/deployments/{created['id']}/logs?limit=100", token=developer.token).body["items"] == lines_then

    service = ServiceRecord.get(service_id)
    assert service.health == "unknown"  # unchanged
    assert service.last_deployment["status"] == "CANCELLED"
    assert api.post(f"/deployments/{created['id']}/cancel", token=developer.token).status == 409
    entries = api.get(f"/audit?resource_id={created['id']}", token=developer.token).body["items"]
    assert [e["action"] for e in entries] == ["deployment.cancel", "deployment.trigger"]
    assert entries[0]["changes"] == {"status": {"from": "RUNNING", "to": "CANCELLED"}}
    # The slot is free again.
    assert trigger(api, developer, service_id, version="v2").status == 202


def test_cancel_of_a_finished_or_unknown_deployment(api, developer):
    service_id = make_service(developer.id)
    created = trigger(api, developer, service_id).body
    wait_for(api, developer.token, created["id"])
    reply = api.post(f"/deployments/{created['id']}/cancel", token=developer.token)
    assert reply.status == 409 and "SUCCESS" in reply.body["detail"]
    assert api.post(f"/deployments/{uuid.uuid4()}/cancel", token=developer.token).status == 404
    assert api.post("/deployments/not-an-id/cancel", token=developer.token).status == 404
    assert api.request("POST", f"/deployments/{created['id']}/cancel", token=developer.token,
                       raw=b'{"force": true}').status == 400


# --- rollback --------------------------------------------------------------------------------


def test_rollback_redeploys_the_newest_earlier_success_of_another_version(api, developer, viewer):
    service_id = make_service(developer.id)

    def at(second):
        return f"2026-01-01T00:00:0{second}.000Z"

    make_deployment(service_id, "v1", "SUCCESS", created_at=at(1))
    v2 = make_deployment(service_id, "v2", "SUCCESS", created_at=at(2))
    make_deployment(service_id, "v2.5", "FAILED", created_at=at(3))
    make_deployment(service_id, "v9", "SUCCESS", environment="staging", created_at=at(4))  # another environment
    v3_same = make_deployment(service_id, "v3", "SUCCESS", created_at=at(5))
    bad = make_deployment(service_id, "v3", "FAILED", created_at=at(6))

    assert api.post(f"/deployments/{bad}/rollback", token=viewer.token).status == 403
    reply = api.post(f"/deployments/{bad}/rollback", token=developer.token)
    assert reply.status == 202, reply.body
    assert reply.body["version"] == "v2"  # v3 has the same version as the one rolled back
    assert reply.body["rollback_of"] == bad and reply.body["status"] == "PENDING"
    assert reply.header("Location") == f"/deployments/{reply.body['id']}"
    assert wait_for(api, developer.token, reply.body["id"])["status"] == "SUCCESS"
    entries = api.get(f"/audit?resource_id={reply.body['id']}", token=developer.token).body["items"]
    assert [e["action"] for e in entries] == ["deployment.rollback"]
    assert entries[0]["changes"]["rollback_of"] == {"from": None, "to": bad}
    # Rolling back the rollback goes further back: v3 is newest, but it is the same version? No: v2 is now
    # the version of the rollback itself, so the newest earlier SUCCESS of another version is v3.
    again = api.post(f"/deployments/{reply.body['id']}/rollback", token=developer.token)
    assert again.status == 202 and again.body["version"] == "v3"
    wait_for(api, developer.token, again.body["id"])
    assert v2 != v3_same


def test_rollback_without_an_earlier_success_is_409(api, developer):
    service_id = make_service(developer.id)
    make_deployment(service_id, "v1", "FAILED")
    only = make_deployment(service_id, "v1", "SUCCESS")
    reply = api.post(f"/deployments/{only}/rollback", token=developer.token)
    assert reply.status == 409 and "roll back" in reply.body["detail"]
    assert api.post(f"/deployments/{uuid.uuid4()}/rollback", token=developer.token).status == 404


# --- the one-active-deployment rule ----------------------------------------------------------


def test_twenty_concurrent_triggers_make_exactly_one_deployment(api, developer):
    service_id = make_service(developer.id)

    def go(i):
        return trigger(api, developer, service_id, version=f"v{i}")

    with overridden_settings(IDP_STEP_TIME_SCALE="1"):
        with ThreadPoolExecutor(max_workers=20) as pool:
            replies = list(pool.map(go, range(20)))
        statuses = [r.status for r in replies]
        assert statuses.count(202) == 1 and statuses.count(409) == 19, statuses
        assert all("active deployment" in r.body["detail"] for r in replies if r.status == 409)
        # Another environment is not blocked by production's active deployment.
        with ThreadPoolExecutor(max_workers=2) as pool:
            others = list(pool.map(lambda env: trigger(api, developer, service_id, environment=env),
                                   ["staging", "development"]))
    assert [r.status for r in others] == [202, 202]
    items = api.get(f"/deployments?service_id={service_id}", token=developer.token).body["items"]
    assert len(items) == 3
    entries = api.get("/audit?action=deployment.trigger&limit=100", token=developer.token).body["items"]
    assert len(entries) == 3  # rejected triggers write nothing


# --- idempotency -----------------------------------------------------------------------------


def test_a_retried_trigger_with_the_same_idempotency_key_starts_nothing_new(api, developer):
    service_id = make_service(developer.id)
    key = {"Idempotency-Key": f"retry-{uuid.uuid4()}"}
    with count_aws_calls() as calls:
        first = trigger(api, developer, service_id, headers=key)
        second = trigger(api, developer, service_id, headers=key)
    assert first.status == 202 and second.status == 202, (first.body, second.body)
    assert second.body == first.body and second.header("Location") == first.header("Location")
    assert calls.count("stepfunctions", "StartExecution") == 1
    wait_for(api, developer.token, first.body["id"])
    third = trigger(api, developer, service_id, headers=key)  # even after it finished
    assert third.status == 202 and third.body == first.body
    assert len(api.get(f"/deployments?service_id={service_id}", token=developer.token).body["items"]) == 1

    changed = trigger(api, developer, service_id, version="v9", headers=key)
    assert changed.status == 409
    assert "Idempotency-Key" in changed.body["detail"] and "different request body" in changed.body["detail"]
    # A new key is a new deployment.
    fresh = trigger(api, developer, service_id, version="v9", headers={"Idempotency-Key": "another-key"})
    assert fresh.status == 202 and fresh.body["id"] != first.body["id"]
    bad = trigger(api, developer, service_id, headers={"Idempotency-Key": "x" * 300})
    assert bad.status == 400 and bad.body["errors"][0]["field"] == "Idempotency-Key"


def test_a_replayed_idempotent_trigger_answers_the_first_body_byte_for_byte(api, developer):
    service_id = make_service(developer.id)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {developer.token}",
               "Idempotency-Key": "byte-for-byte"}
    body = json.dumps({"service_id": service_id, "version": "v1.0.0"}).encode()
    first = api.client.http.post("/deployments", headers=headers, body=body)
    second = api.client.http.post("/deployments", headers=headers, body=body)
    assert first.status_code == 202 and second.status_code == 202, (first.body, second.body)
    assert second.body == first.body
    assert list(json.loads(first.body))[:2] == ["id", "service_id"]  # the documented order, not sorted keys


def test_a_rejected_idempotent_trigger_can_be_retried(api, developer):
    """Errors are not remembered: a 404 with a key, then the same key once the problem is gone."""
    key = {"Idempotency-Key": "k-404"}
    missing = str(uuid.uuid4())
    assert trigger(api, developer, missing, headers=key).status == 404
    assert trigger(api, developer, missing, headers=key).status == 404


# --- access and validation -------------------------------------------------------------------


def test_roles_unknown_services_and_bad_input(api, developer, viewer):
    service_id = make_service(developer.id)
    assert trigger(api, viewer, service_id).status == 403
    assert trigger(api, developer, str(uuid.uuid4())).status == 404
    assert trigger(api, developer, "not-a-service-id").status == 404
    for version in ("", "has space", "x" * 129, "semi;colon"):
        reply = trigger(api, developer, service_id, version=version)
        assert reply.status == 400 and [e["field"] for e in reply.body["errors"]] == ["version"], version
    for environment in ("prod", "", "PRODUCTION"):
        reply = trigger(api, developer, service_id, environment=environment)
        assert reply.status == 400 and [e["field"] for e in reply.body["errors"]] == ["environment"]
    assert api.post("/deployments", {"service_id": service_id, "version": 3}, token=developer.token).status == 400
    assert api.post("/deployments", {"version": "v1"}, token=developer.token).status == 400
    reply = api.post("/deployments", {"service_id": service_id, "version": "v1", "force": True}, token=developer.token)
    assert reply.status == 400 and reply.body["errors"][0]["field"] == "force"
    assert api.get("/deployments?status=DONE", token=viewer.token).status == 400
    assert api.get("/deployments?service_id=nope", token=viewer.token).status == 400
    assert api.get(f"/deployments/{uuid.uuid4()}", token=viewer.token).status == 404
    assert api.get("/deployments/nope", token=viewer.token).status == 404
    assert api.get(f"/deployments/{uuid.uuid4()}/logs", token=viewer.token).status == 404
    assert api.get(f"/services/{uuid.uuid4()}/deployments", token=viewer.token).status == 404
    assert api.get("/audit?action=deployment.trigger", token=developer.token).body["items"] == []
    ok = trigger(api, developer, service_id, version="release/2024.1+build-7_rc.1", environment="staging")
    assert ok.status == 202 and ok.body["environment"] == "staging"
    wait_for(api, developer.token, ok.body["id"])


# --- lists -----------------------------------------------------------------------------------


def test_lists_filter_page_newest_first_with_one_query_per_page(api, developer, viewer):
    first, second = make_service(developer.id), make_service(developer.id)
    made = []
    for index, (service, environment, status) in enumerate([
            (first, "production", "SUCCESS"), (first, "staging", "FAILED"), (second, "production", "SUCCESS"),
            (first, "production", "FAILED"), (second, "development", "CANCELLED"), (first, "production", "SUCCESS")]):
        made.append(make_deployment(service, f"v{index}", status, environment,
                                    created_at=f"2026-01-01T00:00:0{index}.000Z"))

    def ids(query):
        with count_aws_calls() as calls:
            reply = api.get(f"/deployments?{query}", token=viewer.token)
        assert reply.status == 200, reply.body
        assert calls.count("dynamodb", "Query") == 1 and calls.scans == 0
        return [item["id"] for item in reply.body["items"]], reply.body["next_cursor"]

    assert ids("")[0] == made[::-1]
    assert ids(f"service_id={first}")[0] == [made[5], made[3], made[1], made[0]]
    assert ids(f"service_id={first}&environment=production")[0] == [made[5], made[3], made[0]]
    assert ids(f"service_id={first}&environment=production&status=FAILED")[0] == [made[3]]
    assert ids("status=SUCCESS")[0] == [made[5], made[2], made[0]]
    assert ids("status=SUCCESS&environment=production")[0] == [made[5], made[2], made[0]]
    assert ids("environment=development")[0] == [made[4]]

    page, cursor = ids("limit=4")
    assert page == made[:1:-1] and cursor
    rest, end = ids(f"limit=4&cursor={cursor}")
    assert rest == [made[1], made[0]] and end is None
    assert api.get(f"/deployments?status=SUCCESS&cursor={cursor}", token=viewer.token).status == 400
    assert api.get(f"/services/{first}/deployments?cursor={cursor}", token=viewer.token).status == 400
    listed = api.get(f"/services/{second}/deployments", token=viewer.token).body["items"]
    assert [d["id"] for d in listed] == [made[4], made[2]] and set(listed[0]) == FIELDS
    ServiceRecord.get(second).delete()  # a deleted service's history stays readable
    assert [d["id"] for d in api.get(f"/services/{second}/deployments", token=viewer.token).body["items"]] == [
        made[4], made[2]]


# --- backstops -------------------------------------------------------------------------------


def _running_deployment(service_id: str) -> DeploymentRecord:
    """A RUNNING deployment holding the slot, whose execution is somewhere else entirely."""
    deployment_id = make_deployment(service_id, "v5", "RUNNING")
    record = store.get(deployment_id)
    arn = store.execution_arn_for(get_settings().state_machine_arn, deployment_id)
    record.update(actions=[DeploymentRecord.execution_arn.set(arn), DeploymentRecord.steps[0].status.set("running")])
    service = ServiceRecord.get(service_id)
    service.update(actions=[ServiceRecord.active_slots["production"].set(deployment_id)])
    return store.get(deployment_id)


def test_the_execution_status_event_marks_the_deployment_failed_once(api, developer):
    service_id = make_service(developer.id)
    record = _running_deployment(service_id)
    detail = {"executionArn": record.execution_arn, "stateMachineArn": get_settings().state_machine_arn,
              "name": record.id, "status": "TIMED_OUT", "startDate": 1, "stopDate": 2, "input": "{}",
              "output": None, "error": "States.Timeout", "cause": None}
    with Client(app, stage_name="local") as client:
        event = client.events.generate_cw_event(source="aws.states", detail_type="Step Functions Execution Status Change",
                                                detail=detail, resources=[record.execution_arn])
        first = client.lambda_.invoke("deployment_execution_ended", event)
        second = client.lambda_.invoke("deployment_execution_ended", event)
        other_machine = client.lambda_.invoke("deployment_execution_ended", client.events.generate_cw_event(
            source="aws.states", detail_type="Step Functions Execution Status Change",
            detail={**detail, "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:other"},
            resources=[]))
    assert first.payload == {"result": "failed"}
    assert second.payload == {"result": "unchanged"} and other_machine.payload == {"result": "ignored"}
    done = api.get(f"/deployments/{record.id}", token=developer.token).body
    assert done["status"] == "FAILED" and "TIMED_OUT" in done["error"] and "States.Timeout" in done["error"]
    assert [s["status"] for s in done["steps"]] == ["failed"] + ["skipped"] * 5
    assert done["steps"][0]["finished_at"] == done["finished_at"]
    service = ServiceRecord.get(service_id)
    assert service.health == "degraded" and "production" not in service.active_slots.as_dict()
    environment = api.get(f"/services/{service_id}", token=developer.token).body["environments"]["production"]
    assert environment["health"] == "degraded" and environment["last_deployment"]["id"] == record.id
    lines = api.get(f"/deployments/{record.id}/logs", token=developer.token).body["items"]
    assert [(line["level"], "TIMED_OUT" in line["message"]) for line in lines] == [("ERROR", True)]
    assert counters(done["finished_at"][:10]).get("deployments_failed") == 1
    assert counters(done["finished_at"][:13], "hour").get("deployments_failed") == 1


def test_the_status_event_leaves_a_cancelled_deployment_alone(api, developer):
    """StopExecution (our own cancel) sends ABORTED: the deployment stays CANCELLED."""
    service_id = make_service(developer.id)
    record = _running_deployment(service_id)
    cancelled = api.post(f"/deployments/{record.id}/cancel", token=developer.token).body
    assert deployment_backstops.on_execution_status_change(
        {"executionArn": record.execution_arn, "name": record.id, "status": "ABORTED"}) == "unchanged"
    assert api.get(f"/deployments/{record.id}", token=developer.token).body == cancelled


def test_the_reconciler_leaves_live_and_young_deployments_alone(api, developer):
    service_id = make_service(developer.id)
    young = make_deployment(service_id, "v1", "PENDING", environment="staging")  # its start may be under way
    with overridden_settings(IDP_STEP_TIME_SCALE="1"):
        live = trigger(api, developer, service_id).body
    wait_for(api, developer.token, live["id"], statuses=("RUNNING",))
    with count_aws_calls() as calls:
        summary = deployment_backstops.reconcile()
    assert summary == {"checked": 2, "failed": 0}
    assert calls.scans == 0 and calls.count("dynamodb", "Query") == 2
    assert api.get(f"/deployments/{young}", token=developer.token).body["status"] == "PENDING"
    assert api.get(f"/deployments/{live['id']}", token=developer.token).body["status"] == "RUNNING"
    later = clock.now() + deployment_backstops.START_GRACE * 2
    assert deployment_backstops.reconcile(now=later) == {"checked": 2, "failed": 1}
    assert "never started" in api.get(f"/deployments/{young}", token=developer.token).body["error"]


# --- the state machine's definition and step times --------------------------------------------


def test_step_waits_are_whole_seconds_close_to_the_seed():
    assert domain.step_seconds(1) == [2, 3, 2, 4, 2, 1]
    assert domain.step_seconds(0) == [0] * 6
    assert domain.step_seconds(2) == [4, 6, 5, 7, 4, 3]
    for scale in (0.01, 0.1, 0.25, 0.3, 0.5, 0.7, 1, 1.5, 2, 3.3, 10):
        seconds = domain.step_seconds(scale)
        assert all(isinstance(s, int) and s >= 0 for s in seconds)
        seeds = [seed * Fraction(str(scale)) for seed in domain.SEED_SECONDS]
        assert all(abs(s - seed) < 1 for s, seed in zip(seconds, seeds, strict=True))
        assert abs(sum(seconds) - sum(seeds)) <= Fraction(1, 2)


def test_the_execution_input_carries_the_settings():
    record = DeploymentRecord("d", service_id="s", version="v", environment="staging", status="PENDING")
    with overridden_settings(IDP_STEP_TIME_SCALE="1", IDP_DEPLOY_SUCCESS_RATE="37"):
        payload = domain.execution_input(record)
    assert payload["deployment"]["success_rate"] == 37
    assert [s["seconds"] for s in payload["steps"]] == [2, 3, 2, 4, 2, 1]
    assert [s["name"] for s in payload["steps"]] == STEP_NAMES
    assert [s["decides_outcome"] for s in payload["steps"]] == [False] * 5 + [True]


def _tasks(states: dict):
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state
        if state["Type"] == "Map":
            yield from _tasks(state["ItemProcessor"]["States"])


OPTIMIZED = {f"arn:aws:states:::dynamodb:{action}" for action in ("putItem", "updateItem")}
TRANSACTION = "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems"


def _writes(state: dict):
    """(item action, table) of each write a Task makes, a transaction's items one by one."""
    if state["Resource"] == TRANSACTION:
        for item in state["Parameters"]["TransactItems"]:
            (kind, write), = item.items()
            yield f"{kind}Item", write
    else:
        action = state["Resource"].rsplit(":", 1)[1]
        yield action[0].upper() + action[1:], state["Parameters"]


def test_the_template_carries_the_state_machine_file_and_a_narrow_role():
    template = json.loads((ROOT / "infrastructure" / "template.json").read_text())
    source = (ROOT / "state_machines" / "deployment.asl.json").read_text()
    definition = json.loads(source)
    machine = template["Resources"]["DeploymentStateMachine"]
    assert machine["Properties"]["DefinitionString"] == source, "run python scripts/sync_state_machines.py"
    assert "Definition" not in machine["Properties"], "an inline Definition carries JSON nulls CloudFormation refuses"
    assert template["Outputs"]["DeploymentStateMachineArn"] == {"Value": {"Ref": "DeploymentStateMachine"}}
    tasks = dict(_tasks(definition["States"]))
    assert len(tasks) >= 10
    for name, state in tasks.items():
        assert state["Resource"] in OPTIMIZED | {TRANSACTION}, name
        # aws-sdk integrations name DynamoDB's errors "DynamoDb." and with their SDK class names.
        prefix, limit = ("DynamoDb", "RequestLimitExceededException") if state["Resource"] == TRANSACTION else (
            "DynamoDB", "RequestLimitExceeded")
        throttling = {e for retry in state["Retry"] for e in retry["ErrorEquals"]}
        assert {f"{prefix}.ProvisionedThroughputExceededException", f"{prefix}.ThrottlingException",
                f"{prefix}.{limit}"} <= throttling, name
        assert all(retry["BackoffRate"] > 1 for retry in state["Retry"]), name
        assert any("States.ALL" in c["ErrorEquals"] for c in state["Catch"]), name
    used = {(action, write["TableName"]) for state in tasks.values() for action, write in _writes(state)}
    statements = template["Resources"]["DeploymentStateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"]
    granted = {(action.split(":")[1], resource["Fn::GetAtt"][0]) for s in statements for action in s["Action"]
               for resource in s["Resource"]}
    table_of = {"${DeploymentsTable}": "DeploymentsTable", "${ServicesTable}": "ServicesTable",
                "${LogsTable}": "LogsTable", "${CountersTable}": "CountersTable"}
    assert granted == {(action, table_of[table]) for action, table in used}


def test_every_status_write_of_the_machine_keeps_the_status_index_key():
    """``status_env`` ("<status>#<environment>") keys the ``by_status_env`` index: a status write
    that forgot it would leave the deployment listed under its old status."""
    definition = json.loads((ROOT / "state_machines" / "deployment.asl.json").read_text())
    status_writes = 0
    for name, state in _tasks(definition["States"]):
        for _, write in _writes(state):
            expression = write.get("UpdateExpression") or write.get("UpdateExpression.$") or ""
            if "#status =" in expression:
                status_writes += 1
                assert "status_env = :status_env" in expression, name
    assert status_writes >= 7
