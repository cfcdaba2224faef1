"""What a client sees of a deployment's end (issue 12): once it reads a deployment as terminal,
everything that deployment does is already visible (the environment's slot is free, the service's
``last_deployment``, ``health`` and ``environments`` name it, its log lines are written), and each
environment keeps its own state. Against the real state machine, in moto in-process."""
from __future__ import annotations

import time

from chalicelib.core import clock
from chalicelib.storage.services import ServiceRecord
from tests.conftest import overridden_settings
from tests.integration.test_deployments import (  # noqa: F401 - the fixture stops executions a test leaves behind
    make_service,
    no_execution_outlives_its_test,
    trigger,
    wait_for,
)

ENVIRONMENTS = ("development", "staging", "production")
HEALTH = {"SUCCESS": "healthy", "FAILED": "degraded"}


def last_of(deployment: dict) -> dict:
    return {"id": deployment["id"], "status": deployment["status"], "version": deployment["version"],
            "environment": deployment["environment"], "finished_at": deployment["finished_at"]}


def service(api, token: str, service_id: str) -> dict:
    reply = api.get(f"/services/{service_id}", token=token)
    assert reply.status == 200, reply.body
    return reply.body


def log_lines(api, token: str, deployment_id: str) -> list[dict]:
    reply = api.get(f"/deployments/{deployment_id}/logs?limit=100", token=token)
    assert reply.status == 200 and reply.body["next_cursor"] is None, reply.body
    return reply.body["items"]


def test_fifty_deployments_in_a_row_show_their_effects_at_the_wait_for(api, developer):
    """Each deployment is triggered right after the previous one first read terminal, mostly in
    the same environment (so that trigger is the immediate re-trigger), with both outcomes."""
    service_id = make_service(developer.id)
    pattern = ["production", "production", "staging", "staging", "development", "development"]
    previous = None
    seen = {"SUCCESS": 0, "FAILED": 0}
    for index in range(50):
        environment = pattern[index % len(pattern)]
        expected = "FAILED" if index % 3 == 0 else "SUCCESS"
        before = service(api, developer.token, service_id)["environments"]
        with overridden_settings(IDP_DEPLOY_SUCCESS_RATE="0" if expected == "FAILED" else "100"):
            reply = trigger(api, developer, service_id, version=f"v{index}", environment=environment)
        # 202 even when the previous deployment, in this same environment, was read terminal a moment ago.
        assert reply.status == 202, (index, previous and previous["environment"], reply.body)
        done = wait_for(api, developer.token, reply.body["id"])
        assert done["status"] == expected, done["error"]
        seen[expected] += 1

        now = service(api, developer.token, service_id)
        assert now["last_deployment"] == last_of(done), index
        assert now["health"] == HEALTH[expected]
        assert now["environments"][environment] == {"active_deployment_id": None, "last_deployment": last_of(done),
                                                    "health": HEALTH[expected]}
        assert now["active_deployment_id"] is None
        for other in ENVIRONMENTS:  # the other environments are exactly as they were
            if other != environment:
                assert now["environments"][other] == before[other], (index, other)
        lines = log_lines(api, developer.token, done["id"])
        if expected == "SUCCESS":
            assert len(lines) == 13 and lines[-1]["message"].startswith("Deployment succeeded")
            assert lines[-2]["message"] == "Health check succeeded"
        else:
            assert len(lines) == 12 and lines[-1]["level"] == "ERROR" and "Health check failed" in lines[-1]["message"]
        previous = done
    assert seen == {"SUCCESS": 33, "FAILED": 17}
    # Every environment ended with its own newest deployment.
    final = service(api, developer.token, service_id)["environments"]
    for environment in ENVIRONMENTS:
        assert final[environment]["last_deployment"]["environment"] == environment


def test_a_cancel_is_complete_when_it_answers(api, developer, viewer):
    """Cancelled while PENDING or while RUNNING, ten times in a row: the answer and the first read
    after it show CANCELLED, who cancelled, a WARN line naming them, a free slot (the re-trigger is
    accepted at once) and the service naming the cancelled deployment, health unchanged."""
    service_id = make_service(developer.id)
    with overridden_settings(IDP_STEP_TIME_SCALE="0"):
        healthy = trigger(api, developer, service_id, version="base", environment="staging").body
        wait_for(api, developer.token, healthy["id"])
    with overridden_settings(IDP_STEP_TIME_SCALE="1"):  # real waits: the deployment is still active when cancelled
        created = trigger(api, developer, service_id, version="c0", environment="staging")
        for index in range(10):
            assert created.status == 202, (index, created.body)
            deployment_id = created.body["id"]
            if index % 2:  # odd rounds cancel a RUNNING deployment, even ones a PENDING one (or just started)
                deadline = time.monotonic() + 10
                while api.get(f"/deployments/{deployment_id}", token=viewer.token).body["status"] != "RUNNING":
                    assert time.monotonic() < deadline
                    time.sleep(0.02)
            reply = api.post(f"/deployments/{deployment_id}/cancel", token=developer.token)
            assert reply.status == 200, reply.body
            cancelled = reply.body
            assert cancelled["status"] == "CANCELLED" and cancelled["cancelled_by"] == developer.id
            assert api.get(f"/deployments/{deployment_id}", token=viewer.token).body == cancelled

            now = service(api, viewer.token, service_id)
            assert now["last_deployment"] == last_of(cancelled)
            assert now["environments"]["staging"] == {"active_deployment_id": None,
                                                      "last_deployment": last_of(cancelled), "health": "healthy"}
            assert now["health"] == "healthy"  # a cancel leaves health as it was
            warnings = [line for line in log_lines(api, viewer.token, deployment_id) if line["level"] == "WARN"]
            assert [line["message"] for line in warnings] == [f"Cancelled by {developer.user['email']}"]
            created = trigger(api, developer, service_id, version=f"c{index + 1}", environment="staging")
    assert created.status == 202
    api.post(f"/deployments/{created.body['id']}/cancel", token=developer.token)


def test_deploying_to_development_never_changes_production(api, developer):
    service_id = make_service(developer.id)
    live = trigger(api, developer, service_id, version="1.0", environment="production").body
    wait_for(api, developer.token, live["id"])
    production = service(api, developer.token, service_id)["environments"]["production"]
    assert production["health"] == "healthy" and production["last_deployment"]["id"] == live["id"]

    for index, rate in enumerate(["0", "100", "0"]):
        with overridden_settings(IDP_DEPLOY_SUCCESS_RATE=rate):
            reply = trigger(api, developer, service_id, version=f"dev-{index}", environment="development")
        done = wait_for(api, developer.token, reply.body["id"])
        now = service(api, developer.token, service_id)
        assert now["environments"]["production"] == production
        assert now["environments"]["development"]["last_deployment"] == last_of(done)
        assert now["last_deployment"] == last_of(done)  # the top level is the newest of any environment
    with overridden_settings(IDP_STEP_TIME_SCALE="1"):
        running = trigger(api, developer, service_id, version="dev-x", environment="development").body
        assert service(api, developer.token, service_id)["environments"]["development"]["active_deployment_id"] == \
            running["id"]
        assert service(api, developer.token, service_id)["environments"]["production"] == production
        api.post(f"/deployments/{running['id']}/cancel", token=developer.token)
    now = service(api, developer.token, service_id)
    assert now["environments"]["production"] == production
    assert now["environments"]["development"]["health"] == "degraded"  # the last finished one failed
    assert now["health"] == "degraded"


def test_a_service_stored_before_environments_existed_shows_all_three(api, viewer):
    """No per-environment attributes at all: its newest finished deployment is shown in its
    environment (it is that environment's newest too); the others are empty."""
    now = clock.now_iso()
    service_id = clock.new_id()
    last = {"id": clock.new_id(), "status": "FAILED", "version": "0.9", "environment": "staging", "finished_at": now}
    ServiceRecord(service_id, name="legacy-svc", owner_id=viewer.id, created_at=now, updated_at=now,
                  sort_key=clock.sort_key(now, service_id), health="degraded", active_slots={"production": "d-1"},
                  last_deployment=last).save()
    body = service(api, viewer.token, service_id)
    assert body["environments"] == {
        "development": {"active_deployment_id": None, "last_deployment": None, "health": "unknown"},
        "staging": {"active_deployment_id": None, "last_deployment": last, "health": "degraded"},
        "production": {"active_deployment_id": "d-1", "last_deployment": None, "health": "unknown"},
    }
    assert body["last_deployment"] == last and body["health"] == "degraded"


def test_the_service_schema_describes_environments_exactly(api):
    schemas = api.get("/openapi.json").body["components"]["schemas"]
    service_schema = schemas["Service"]
    assert "environments" in service_schema["required"]
    environments = schemas[service_schema["properties"]["environments"]["$ref"].rsplit("/", 1)[1]]
    assert set(environments["required"]) == set(ENVIRONMENTS) == set(environments["properties"])
    state = schemas[environments["properties"]["production"]["$ref"].rsplit("/", 1)[1]]
    assert set(state["required"]) == {"active_deployment_id", "last_deployment", "health"}
    assert {"type": "null"} in state["properties"]["active_deployment_id"]["anyOf"]
    assert {"type": "null"} in state["properties"]["last_deployment"]["anyOf"]
    assert state["properties"]["health"]["enum"] == ["unknown", "healthy", "degraded"]
    deployment = schemas["Deployment"]
    assert "cancelled_by" in deployment["required"]
    assert {"type": "null"} in deployment["properties"]["cancelled_by"]["anyOf"]
