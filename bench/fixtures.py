"""The data the phases need, made like a user would (through the API), or straight into the
tables where the API has no way (a finished deployment, log lines, alerts)."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any


def system_caller(user_id: str | None = None, email: str = "bench@example.com"):
    from chalicelib.domain.caller import Caller

    return Caller(kind="user", id=user_id or str(uuid.uuid4()), email=email, role="admin", request_id="bench",
                  source_ip="127.0.0.1")


def seed_deployment(service_id: str, version: str, status: str = "SUCCESS", *, created_at: str | None = None,
                    environment: str = "production", save: bool = True):
    """A finished deployment written straight into the table (what the engine leaves behind)."""
    from chalicelib.core import clock
    from chalicelib.domain.deployments import STEP_NAMES
    from chalicelib.storage import deployments as store
    from chalicelib.storage.deployments import DeploymentRecord, StepMap

    now = created_at or clock.now_iso()
    deployment_id = clock.new_id()
    step_status = "succeeded" if status == "SUCCESS" else "skipped"
    record = DeploymentRecord(
        deployment_id, service_id=service_id, version=version, environment=environment, status=status,
        triggered_by=None, steps=[StepMap(name=name, status=step_status, started_at=now, finished_at=now)
                                  for name in STEP_NAMES],
        current_step=STEP_NAMES[-1], created_at=now, started_at=now, finished_at=now,
        service_env=store.service_env(service_id, environment), sort_key=clock.sort_key(now, deployment_id))
    if save:
        record.save()
    return record


class World:
    """Users, a service with deployments and log lines, flags, an SDK key: made like a user would
    (through the API), or with the domain functions where the API has no way (log lines, alerts)."""

    def __init__(self, harness, bulk_flags: int, admin_email: str, admin_password: str) -> None:
        from chalicelib.domain import logs

        self.h = harness
        status, body = harness.call("POST", "/auth/login", {"email": admin_email, "password": admin_password})
        assert status == 200, body
        self.admin, self.admin_id = body["access_token"], body["user"]["id"]
        self.dev_email = f"dev-{uuid.uuid4().hex[:8]}@example.com"
        self.dev_password = "password-1234"
        self.dev_id = self.api("POST", "/users", {"email": self.dev_email, "name": "Dev", "password": self.dev_password,
                                                  "role": "developer"}, self.admin, 201)["id"]
        self.dev = self.login(self.dev_email, self.dev_password)
        self.service_id = self.new_service()
        self.deployment_id = seed_deployment(self.service_id, "v1").id
        logs.append_many([{"service_id": self.service_id, "deployment_id": self.deployment_id, "level": "INFO",
                           "message": f"bench line {i}"} for i in range(30)])
        for i in range(bulk_flags):
            self.api("POST", "/flags", {"key": f"bench-flag-{i:03d}", "enabled": i % 5 != 0,
                                        "environments": ["production"] if i % 3 else [],
                                        "rollout_percentage": (i * 7) % 101}, self.dev, 201)
        self.flag_key = self.new_flag(rollout=50, enabled=True)
        self.sdk_key = self.api("POST", "/sdk-keys", {"name": "bench", "environment": "production"}, self.admin,
                                201)["key"]

    def api(self, method: str, path: str, body=None, token: str | None = None, expect: int = 200):
        status, reply = self.h.call(method, path, body, token)
        assert status == expect, f"{method} {path} answered {status}: {reply}"
        return reply

    def login(self, email: str, password: str) -> str:
        return self.api("POST", "/auth/login", {"email": email, "password": password})["access_token"]

    def new_user(self) -> str:
        return self.api("POST", "/users", {"email": f"u-{uuid.uuid4().hex[:10]}@example.com", "name": "U",
                                           "password": "password-1234", "role": "viewer"}, self.admin, 201)["id"]

    def new_service(self) -> str:
        return self.api("POST", "/services", {"name": f"bench-{uuid.uuid4().hex[:12]}"}, self.dev, 201)["id"]

    def new_flag(self, rollout: int = 100, enabled: bool = False) -> str:
        key = f"bench-{uuid.uuid4().hex[:12]}"
        self.api("POST", "/flags", {"key": key, "enabled": enabled, "rollout_percentage": rollout}, self.dev, 201)
        return key

    def new_sdk_key_id(self) -> str:
        return self.api("POST", "/sdk-keys", {"name": "to revoke", "environment": "staging"}, self.admin, 201)["id"]

    def running_deployment(self) -> str:
        """A deployment inside its first step's wait: RUNNING, and nothing moves it for a while (so
        a cancel does not race the engine's own writes)."""
        service_id = self.new_service()
        deployment_id = self.api("POST", "/deployments", {"service_id": service_id, "version": "v1"}, self.dev,
                                 202)["id"]
        deadline = time.monotonic() + 30
        while self.api("GET", f"/deployments/{deployment_id}", None, self.dev)["status"] == "PENDING":
            if time.monotonic() > deadline:
                raise RuntimeError(f"deployment {deployment_id} did not start within 30 s")
            time.sleep(0.02)
        return deployment_id

    def rollback_candidate(self) -> str:
        """A service whose newest deployment (v2) has an earlier SUCCESS of v1 to roll back to."""
        from chalicelib.core import clock

        service_id = self.new_service()
        seed_deployment(service_id, "v1", created_at=clock.iso(clock.now().replace(year=2025)))
        return seed_deployment(service_id, "v2").id

    def new_alert(self) -> str:
        from chalicelib.domain import alerts

        record = alerts.open_alert(alerts.SERVICE_REGISTERED, str(uuid.uuid4()), alerts.INFO, "bench alert")
        assert record is not None
        return record.id

    def stop(self, deployment: dict | None) -> None:
        """Cancel a deployment a recipe started, so it does not run on behind the measurements."""
        if deployment and deployment.get("status") in ("PENDING", "RUNNING"):
            self.h.call("POST", f"/deployments/{deployment['id']}/cancel", None, self.dev)

    def handles(self) -> dict:
        return {"admin": self.admin, "admin_id": self.admin_id, "dev": self.dev, "dev_id": self.dev_id,
                "service_id": self.service_id, "deployment_id": self.deployment_id, "flag_key": self.flag_key,
                "sdk_key": self.sdk_key}


@dataclass

class Request:
    method: str
    path: str
    body: Any = None
    token: str | None = None
    headers: dict | None = None


