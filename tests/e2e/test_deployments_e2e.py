"""End to end: a deployment over HTTP against the real local stack (moto server with Step
Functions execution on, provisioned from the template, and `chalice local`) runs to SUCCESS."""
from __future__ import annotations

import time

import pytest

from chalicelib.core import clock
from tests.e2e.stack import E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, http, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack():
    with running_stack("deploy", IDP_STEP_TIME_SCALE="0", IDP_DEPLOY_SUCCESS_RATE="100") as running:
        yield running


def create_service(stack, token: str) -> str:
    status, _, service = http("POST", f"{stack.api_url}/services", {"name": f"e2e-{clock.new_id()[:8]}"}, token=token)
    assert status == 201, service
    return service["id"]


def test_a_deployment_triggered_over_http_runs_to_success(stack):
    status, _, login = http("POST", f"{stack.api_url}/auth/login",
                            {"email": E2E_ADMIN_EMAIL, "password": E2E_ADMIN_PASSWORD})
    assert status == 200, login
    token = login["access_token"]
    status, _, health = http("GET", f"{stack.api_url}/health")
    assert status == 200 and health["checks"].get("stepfunctions") == "ok", health

    service_id = create_service(stack, token)
    status, headers, created = http("POST", f"{stack.api_url}/deployments",
                                     {"service_id": service_id, "version": "e2e-1"}, token=token)
    assert status == 202, created
    assert created["status"] == "PENDING" and headers["Location"] == f"/deployments/{created['id']}"

    deadline = time.monotonic() + 60
    while True:
        status, _, deployment = http("GET", f"{stack.api_url}/deployments/{created['id']}", token=token)
        assert status == 200, deployment
        if deployment["status"] not in ("PENDING", "RUNNING"):
            break
        assert time.monotonic() < deadline, f"still {deployment['status']} after 60 s"
        time.sleep(0.1)
    assert deployment["status"] == "SUCCESS", deployment
    assert [s["status"] for s in deployment["steps"]] == ["succeeded"] * 6
    # Read terminal, so the service already names it (one transaction ends the deployment).
    status, _, service = http("GET", f"{stack.api_url}/services/{service_id}", token=token)
    assert status == 200, service
    last = {key: deployment[key] for key in ("id", "status", "version", "environment", "finished_at")}
    assert service["last_deployment"] == last and service["health"] == "healthy"
    assert service["environments"]["production"] == {"active_deployment_id": None, "last_deployment": last,
                                                     "health": "healthy"}
    assert service["environments"]["staging"]["last_deployment"] is None

    status, _, logs = http("GET", f"{stack.api_url}/deployments/{created['id']}/logs?limit=100", token=token)
    assert status == 200 and len(logs["items"]) == 13
    status, _, listed = http("GET", f"{stack.api_url}/services/{service_id}/deployments", token=token)
    assert status == 200 and [d["id"] for d in listed["items"]] == [created["id"]]
    # The environment is free again; a retry with the same Idempotency-Key answers the same deployment.
    body, key = {"service_id": service_id, "version": "e2e-2", "environment": "production"}, {"Idempotency-Key": "e2e"}
    status, _, again = http("POST", f"{stack.api_url}/deployments", body, token=token, headers=key)
    assert status == 202, again
    status, _, retried = http("POST", f"{stack.api_url}/deployments", body, token=token, headers=key)
    assert status == 202 and retried == again
    status, _, clash = http("POST", f"{stack.api_url}/deployments", {**body, "version": "e2e-3"}, token=token,
                            headers=key)
    assert status == 409 and "Idempotency-Key" in clash["detail"]
