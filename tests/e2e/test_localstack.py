"""End to end on LocalStack: ``IDP_EMULATOR=localstack scripts/dev`` as a user starts it (LocalStack
in host mode from its own virtualenv, moto serving its DynamoDB API), the whole template created by
LocalStack's CloudFormation, then the platform over HTTP: login, deployments to SUCCESS and FAILED,
a cancel, the execution status events the backstop listens to, flags through OFREP, and Ctrl-C.

One LocalStack for the module (it takes seconds to start and 300+ MB): the tests share it, in
file order, and the last one stops it with Ctrl-C.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import boto3
import localstack_venv
import pytest
from devstack import DevStack, free_port, port_open, wait_http

from tests.e2e.stack import E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, http, serving

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PREFIX = "idp-e2e-ls"
PINNED_LOCALSTACK = "2026.3.0"
# What scripts/localstack_launcher.py changes, as the pinned release defines it.
PATCH_TARGETS = {
    "DynamodbServer.do_start_thread": "(self) -> localstack.utils.threads.FuncThread",
    "state.datetime": "datetime",  # the module, used only for $$.State.EnteredTime
    "VariableReferencesStaticAnalyser.process_and_get": "(definition: str) -> dict[str, list[str]]",
    "runtime_server.endpoints": "twisted.internet.endpoints",  # the module whose TCP4ServerEndpoint binds
}


def _base_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.pop("IDP_STATE_MACHINE_ARN", None)
    env.update({"IDP_ADMIN_EMAIL": E2E_ADMIN_EMAIL, "IDP_ADMIN_PASSWORD": E2E_ADMIN_PASSWORD, "IDP_BCRYPT_ROUNDS": "4",
                "IDP_AUTH_CACHE_SECONDS": "0", "IDP_STEP_TIME_SCALE": "0", "IDP_DEPLOY_SUCCESS_RATE": "100",
                "IDP_LOG_LEVEL": "WARNING", "IDP_TABLE_PREFIX": PREFIX, **extra})
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """``scripts/dev`` with IDP_EMULATOR=localstack, on free ports, stopped however the module ends."""
    ports = {"api": free_port(), "gateway": free_port(), "dynamodb": free_port()}
    env = _base_env(IDP_EMULATOR="localstack", IDP_PORTAL="off", IDP_PORT=str(ports["api"]),
                    IDP_EMULATOR_PORT=str(ports["gateway"]), IDP_LOCALSTACK_DYNAMODB_PORT=str(ports["dynamodb"]),
                    IDP_VENV=os.path.dirname(os.path.dirname(sys.executable)))
    log_path = tmp_path_factory.mktemp("localstack") / "dev.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen([str(ROOT / "scripts" / "dev")], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{ports['gateway']}"
    try:
        # A fresh clone installs LocalStack's virtualenv first (about a minute).
        wait_http(f"http://127.0.0.1:{ports['api']}/health", 300, process=process)
        cloudformation = _client("cloudformation", endpoint)
        outputs = {o["OutputKey"]: o["OutputValue"]
                   for o in cloudformation.describe_stacks(StackName=f"{PREFIX}-stack")["Stacks"][0]["Outputs"]}
        yield SimpleNamespace(api_url=f"http://127.0.0.1:{ports['api']}", endpoint=endpoint, ports=ports,
                              process=process, log_path=log_path, outputs=outputs, env=env)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def _client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test")


@pytest.fixture(scope="module")
def admin(stack):
    status, _, body = http("POST", f"{stack.api_url}/auth/login", {"email": E2E_ADMIN_EMAIL,
                                                                   "password": E2E_ADMIN_PASSWORD})
    assert status == 200, body
    return body


def _app_env(stack, **settings) -> dict:
    """What the stack's API process gets (endpoint, tables, state machine), with other settings."""
    app = DevStack(env=_base_env(**settings), emulator_port=stack.ports["gateway"], table_prefix=PREFIX)
    app.outputs = stack.outputs
    return app.app_env()


@pytest.fixture(scope="module")
def failing_api(stack):
    """A second ``chalice local`` on the same LocalStack whose deployments fail their health check
    and wait about 3 s (so they can be cancelled): the first API's make every deployment succeed at once."""
    port = free_port()
    with serving([sys.executable, str(ROOT / "scripts" / "chalice_local.py"), "local", "--host", "127.0.0.1", "--port",
                  str(port), "--stage", "local", "--no-autoreload"], f"http://127.0.0.1:{port}/health",
                 env=_app_env(stack, IDP_DEPLOY_SUCCESS_RATE="0", IDP_STEP_TIME_SCALE="0.2")):
        yield f"http://127.0.0.1:{port}"


def _service(stack, token: str) -> str:
    status, _, service = http("POST", f"{stack.api_url}/services", {"name": f"ls-{uuid.uuid4().hex[:8]}"}, token=token)
    assert status == 201, service
    return service["id"]


def _trigger(api_url: str, token: str, service_id: str, version: str) -> dict:
    status, _, created = http("POST", f"{api_url}/deployments", {"service_id": service_id, "version": version},
                              token=token)
    assert status == 202, created
    return created


def _wait_status(stack, token: str, deployment_id: str, leave=("PENDING", "RUNNING"), timeout: float = 60) -> dict:
    """The deployment once its status is no longer one of ``leave`` (by default: once terminal)."""
    deadline = time.monotonic() + timeout
    while True:
        status, _, deployment = http("GET", f"{stack.api_url}/deployments/{deployment_id}", token=token)
        assert status == 200, deployment
        if deployment["status"] not in leave:
            return deployment
        assert time.monotonic() < deadline, f"still {deployment['status']} after {timeout}s"
        time.sleep(0.05)


def _wait_execution(stack, execution_arn: str, timeout: float = 30) -> dict:
    stepfunctions = _client("stepfunctions", stack.endpoint)
    deadline = time.monotonic() + timeout
    while (described := stepfunctions.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{execution_arn} still RUNNING after {timeout}s"
        time.sleep(0.1)
    return described


def test_the_launcher_changes_only_what_the_pinned_localstack_has():
    """scripts/localstack_launcher.py replaces DynamodbServer.do_start_thread (and two smaller
    things): an upgrade that moves or reshapes them must fail here, not fall back to downloading
    Java and DynamoDB Local."""
    requirements = (ROOT / "requirements-localstack.txt").read_text()
    assert f"localstack-core[runtime]=={PINNED_LOCALSTACK}\n" in requirements
    python = localstack_venv.ensure()
    probe = ("import json, sys, importlib.metadata as m; sys.path.insert(0, 'scripts'); import localstack_launcher as l; "
             "print(json.dumps([m.version('localstack-core'), l.patch_targets()]))")
    result = subprocess.run([str(python), "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    version, targets = json.loads(result.stdout)
    assert version == PINNED_LOCALSTACK
    assert targets == PATCH_TARGETS, "LocalStack changed what scripts/localstack_launcher.py replaces: adapt it"


def test_no_python_3_12_is_a_clear_error_naming_what_is_missing(tmp_path):
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path), "IDP_LOCALSTACK_VENV": str(tmp_path / "venv")}
    with pytest.raises(localstack_venv.NoSuitablePython) as refusal:
        localstack_venv.ensure(env)
    message = str(refusal.value)
    assert "Python 3.12 or newer" in message and "python3.13" in message and "pyenv" in message
    assert "IDP_LOCALSTACK_PYTHON" in message and not (tmp_path / "venv" / "bin").exists()


def test_localstack_cloudformation_created_every_resource_of_the_template(stack):
    template = json.loads((ROOT / "infrastructure" / "template.json").read_text())
    expected = {name for name, resource in template["Resources"].items()
                if resource.get("Condition") != "HasAlertsEmail"}  # no AlertsEmail given locally
    cloudformation = _client("cloudformation", stack.endpoint)
    resources = cloudformation.describe_stack_resources(StackName=f"{PREFIX}-stack")["StackResources"]
    assert {r["LogicalResourceId"] for r in resources} == expected
    assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}
    # The state machine is the stack's own, its substitutions filled in; nothing was created beside it.
    machine_arn = stack.outputs["DeploymentStateMachineArn"]
    stepfunctions = _client("stepfunctions", stack.endpoint)
    assert [m["stateMachineArn"] for m in stepfunctions.list_state_machines()["stateMachines"]] == [machine_arn]
    definition = stepfunctions.describe_state_machine(stateMachineArn=machine_arn)["definition"]
    assert "${" not in definition and f'"{PREFIX}-deployments"' in definition
    tables = _client("dynamodb", stack.endpoint).list_tables()["TableNames"]
    assert sorted(tables) == sorted(v for k, v in stack.outputs.items() if k.endswith("TableName"))
    # Created from TemplateURL: the template lies in the local bucket provisioning made for it.
    keys = [o["Key"] for o in _client("s3", stack.endpoint).list_objects_v2(
        Bucket=f"{PREFIX}-cloudformation").get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith("template-")


def test_a_localstack_already_running_at_aws_endpoint_url_takes_the_same_path(stack):
    """A LocalStack container (AWS_ENDPOINT_URL): recognised, the whole template as one stack."""
    prefix = "idp-e2e-ls-ext"
    with DevStack(env=_base_env(AWS_ENDPOINT_URL=stack.endpoint), table_prefix=prefix, serve_api=False,
                  log=lambda message: None) as external:
        assert external.processes == []  # it started no emulator
        assert external.outputs["DeploymentStateMachineArn"].endswith(f":stateMachine:{prefix}-deployment")
    resources = _client("cloudformation", stack.endpoint).describe_stack_resources(
        StackName=f"{prefix}-stack")["StackResources"]
    assert {"DeploymentStateMachine", "ApiLatencyP95Alarm", "PortalDistribution"} <= {
        r["LogicalResourceId"] for r in resources}


def test_health_and_admin_login(stack, admin):
    status, _, health = http("GET", f"{stack.api_url}/health")
    assert status == 200 and health["checks"] == {"dynamodb": "ok", "stepfunctions": "ok"}, health
    status, _, me = http("GET", f"{stack.api_url}/auth/me", token=admin["access_token"])
    assert status == 200 and me["role"] == "admin" and me["email"] == E2E_ADMIN_EMAIL
    status, _, _ = http("POST", f"{stack.api_url}/auth/login", {"email": E2E_ADMIN_EMAIL, "password": "wrong"})
    assert status == 401


def test_a_deployment_runs_to_success_with_its_steps_logs_and_service(stack, admin):
    token = admin["access_token"]
    service_id = _service(stack, token)
    created = _trigger(stack.api_url, token, service_id, "ls-1")
    deployment = _wait_status(stack, token, created["id"])
    assert deployment["status"] == "SUCCESS", deployment
    assert [s["status"] for s in deployment["steps"]] == ["succeeded"] * 6
    status, _, service = http("GET", f"{stack.api_url}/services/{service_id}", token=token)
    last = {key: deployment[key] for key in ("id", "status", "version", "environment", "finished_at")}
    assert status == 200 and service["last_deployment"] == last and service["health"] == "healthy"
    assert service["environments"]["production"]["active_deployment_id"] is None
    status, _, logs = http("GET", f"{stack.api_url}/deployments/{created['id']}/logs?limit=100", token=token)
    assert status == 200 and len(logs["items"]) == 13
    assert _wait_execution(stack, deployment["execution_arn"])["status"] == "SUCCEEDED"


def test_a_deployment_fails_its_health_check_and_degrades_the_service(stack, admin, failing_api):
    token = admin["access_token"]
    service_id = _service(stack, token)
    created = _trigger(failing_api, token, service_id, "ls-bad")
    deployment = _wait_status(stack, token, created["id"])
    assert deployment["status"] == "FAILED" and "Health check failed" in deployment["error"], deployment
    assert [s["status"] for s in deployment["steps"]] == ["succeeded"] * 5 + ["failed"]
    status, _, logs = http("GET", f"{stack.api_url}/deployments/{created['id']}/logs?limit=100", token=token)
    errors = [line for line in logs["items"] if line["level"] == "ERROR"]
    assert len(logs["items"]) == 12 and len(errors) == 1 and logs["items"][-1] == errors[0]
    status, _, service = http("GET", f"{stack.api_url}/services/{service_id}", token=token)
    assert service["health"] == "degraded" and service["last_deployment"]["status"] == "FAILED"
    assert _wait_execution(stack, deployment["execution_arn"])["status"] == "SUCCEEDED"  # an outcome, not an error


def test_cancel_stops_the_execution_and_frees_the_environment(stack, admin, failing_api):
    token = admin["access_token"]
    service_id = _service(stack, token)
    created = _trigger(failing_api, token, service_id, "ls-cancel")
    # Once RUNNING: cancelled at once after StartExecution, LocalStack's StopExecution fails (README).
    assert _wait_status(stack, token, created["id"], leave=("PENDING",))["status"] == "RUNNING"
    status, _, cancelled = http("POST", f"{stack.api_url}/deployments/{created['id']}/cancel", token=token)
    assert status == 200 and cancelled["status"] == "CANCELLED", cancelled
    # ABORTED as on AWS, or FAILED when the stop lands inside the Map (LocalStack and moto alike).
    assert _wait_execution(stack, cancelled["execution_arn"])["status"] in ("ABORTED", "FAILED")
    status, _, logs = http("GET", f"{stack.api_url}/deployments/{created['id']}/logs?limit=100", token=token)
    assert logs["items"][-1]["level"] == "WARN" and "Cancelled by" in logs["items"][-1]["message"]
    status, _, after = http("GET", f"{stack.api_url}/deployments/{created['id']}", token=token)
    assert after == cancelled
    assert _trigger(stack.api_url, token, service_id, "ls-after-cancel")["status"] == "PENDING"


def test_the_backstop_fails_a_deployment_whose_execution_was_stopped_elsewhere(stack, admin, failing_api):
    """LocalStack's Step Functions send "Execution Status Change" events to its EventBridge: a rule
    with the app's own pattern catches the ABORTED of an execution stopped outside the API, and the
    app's handler for that rule, given the event, fails the deployment. (On AWS a Lambda gets the
    event; LocalStack would need Docker for that, so the event is read from the rule's log group.)"""
    from chalicelib.api.deployment_events import EXECUTION_ENDED

    events, logs = _client("events", stack.endpoint), _client("logs", stack.endpoint)
    logs.create_log_group(logGroupName="/idp-e2e/execution-ended")
    events.put_rule(Name="idp-e2e-execution-ended", EventPattern=json.dumps(EXECUTION_ENDED))
    events.put_targets(Rule="idp-e2e-execution-ended", Targets=[
        {"Id": "log", "Arn": "arn:aws:logs:us-east-1:000000000000:log-group:/idp-e2e/execution-ended"}])
    token = admin["access_token"]
    created = _trigger(failing_api, token, _service(stack, token), "ls-stopped")
    running = _wait_status(stack, token, created["id"], leave=("PENDING",))
    _client("stepfunctions", stack.endpoint).stop_execution(executionArn=running["execution_arn"])
    deadline = time.monotonic() + 20
    while not (found := logs.filter_log_events(logGroupName="/idp-e2e/execution-ended")["events"]):
        assert time.monotonic() < deadline, "no execution status event reached the rule's target"
        time.sleep(0.2)
    event = json.loads(found[0]["message"])
    assert event["detail"]["executionArn"] == running["execution_arn"]
    assert event["detail"]["status"] in ("ABORTED", "FAILED")  # FAILED: the stop landed inside the Map
    handler = ("import json, sys; from app import app; from chalice.local import LambdaContext; "
               "print(json.dumps(app.handler_map['deployment_execution_ended'](json.load(sys.stdin), "
               "LambdaContext('deployment_execution_ended', 256))))")
    result = subprocess.run([sys.executable, "-c", handler], cwd=ROOT, env=_app_env(stack), input=json.dumps(event),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"result": "failed"}
    failed = _wait_status(stack, token, created["id"])
    assert failed["status"] == "FAILED", failed
    assert failed["error"].startswith(f"the workflow execution ended {event['detail']['status']}"), failed


def test_flags_evaluate_through_ofrep_with_an_sdk_key(stack, admin):
    token = admin["access_token"]
    for flag in ({"key": "ls-on", "enabled": True}, {"key": "ls-prod-only", "enabled": True,
                                                      "environments": ["production"]}):
        status, _, body = http("POST", f"{stack.api_url}/flags", flag, token=token)
        assert status == 201, body
    status, _, key = http("POST", f"{stack.api_url}/sdk-keys", {"name": "ls", "environment": "staging"}, token=token)
    assert status == 201, key
    url = f"{stack.api_url}/ofrep/v1/evaluate/flags"
    status, _, on = http("POST", f"{url}/ls-on", {"context": {"targetingKey": "u1"}}, token=key["key"])
    assert status == 200 and (on["value"], on["variant"], on["reason"]) == (True, "on", "STATIC"), on
    status, _, other = http("POST", f"{url}/ls-prod-only", {"context": {"targetingKey": "u1"}}, token=key["key"])
    assert status == 200 and (other["value"], other["reason"]) == (False, "DEFAULT"), other
    status, _, missing = http("POST", f"{url}/ls-nothing", {"context": {"targetingKey": "u1"}}, token=key["key"])
    assert status == 404 and missing["errorCode"] == "FLAG_NOT_FOUND"


def test_ctrl_c_stops_localstack_and_its_dynamodb_backend_and_frees_every_port(stack):
    assert all(port_open(port) for port in stack.ports.values())
    # Each listens on loopback only (LocalStack's gateway would take every interface by itself).
    outward = _outward_address()
    assert outward is None or not any(port_open(port, host=outward) for port in stack.ports.values())
    os.killpg(stack.process.pid, signal.SIGINT)
    assert stack.process.wait(timeout=60) == 0
    deadline = time.monotonic() + 15
    while any(port_open(port) for port in stack.ports.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert {name: port_open(port) for name, port in stack.ports.items()} == {name: False for name in stack.ports}
    output = stack.log_path.read_text()
    assert "starting LocalStack" in output and "stopping" in output
