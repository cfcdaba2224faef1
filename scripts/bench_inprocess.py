"""The in-process figures of scripts/bench: AWS calls per route, items examined per list page,
handler latency, peak memory (in a child process), and the table. The app runs in this process
(Chalice's test client, the Lambda handler path) against the emulator started by scripts/bench.

A recipe is one request of one route of the route table, with the data it needs made first
(through the API or the domain functions, never counted). The harness refuses to report the
round-trip figure when a route has no recipe, and the scale figure when a list has no seeder.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROBE_MARK = "BENCH-MEMORY "


# ---------------------------------------------------------------- data the recipes need
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


@dataclass
class Recipe:
    build: Callable[[World], Request]
    status: int
    kind: str  # "read", "write", "evaluation", "public"
    target: int = 1  # AWS calls one request should make, caches warm
    sfn: tuple[str, ...] = ()  # the Step Functions operations among them
    after: Callable[[World, Any], None] | None = None  # clean-up, not counted


def _password_change(w: World) -> Request:
    new = f"pw-{uuid.uuid4().hex}"
    request = Request("POST", "/auth/password", {"current_password": w.dev_password, "new_password": new}, w.dev)
    w.dev_password = new
    return request


def _relogin(w: World, _reply) -> None:
    """A password change ends the user's tokens and empties this instance's credential cache: sign
    in again and warm the cache, so the next measured request finds it as a steady state would."""
    w.dev = w.login(w.dev_email, w.dev_password)
    w.api("GET", "/auth/me", None, w.dev)


def _stop(w: World, reply) -> None:
    w.stop(reply if isinstance(reply, dict) else None)


def _ofrep(w: World) -> dict:
    return {"context": {"targetingKey": "user-42"}}


READ, WRITE, EVALUATION, PUBLIC = "read", "write", "evaluation", "public"
RECIPES: dict[tuple[str, str], Recipe] = {
    ("GET", "/health"): Recipe(lambda w: Request("GET", "/health"), 200, PUBLIC, target=2,
                               sfn=("DescribeStateMachine",)),
    ("GET", "/openapi.json"): Recipe(lambda w: Request("GET", "/openapi.json"), 200, PUBLIC, target=0),
    ("POST", "/auth/login"): Recipe(lambda w: Request("POST", "/auth/login", {"email": w.dev_email,
                                                                               "password": w.dev_password}), 200, WRITE),
    ("GET", "/auth/me"): Recipe(lambda w: Request("GET", "/auth/me", None, w.dev), 200, READ),
    ("POST", "/auth/password"): Recipe(_password_change, 204, WRITE, after=_relogin),
    ("GET", "/users"): Recipe(lambda w: Request("GET", "/users", None, w.admin), 200, READ),
    ("GET", "/people"): Recipe(lambda w: Request("GET", "/people", None, w.dev), 200, READ),
    ("POST", "/users"): Recipe(lambda w: Request("POST", "/users", {"email": f"n-{uuid.uuid4().hex[:10]}@example.com",
                                                                    "name": "N", "password": "password-1234",
                                                                    "role": "viewer"}, w.admin), 201, WRITE),
    ("GET", "/users/{user_id}"): Recipe(lambda w: Request("GET", f"/users/{w.dev_id}", None, w.admin), 200, READ),
    ("PATCH", "/users/{user_id}"): Recipe(lambda w: Request("PATCH", f"/users/{w.new_user()}", {"name": "Renamed"},
                                                            w.admin), 200, WRITE),
    ("DELETE", "/users/{user_id}"): Recipe(lambda w: Request("DELETE", f"/users/{w.new_user()}", None, w.admin), 204,
                                           WRITE),
    ("GET", "/audit"): Recipe(lambda w: Request("GET", "/audit", None, w.admin), 200, READ),
    ("GET", "/services"): Recipe(lambda w: Request("GET", "/services", None, w.dev), 200, READ),
    ("POST", "/services"): Recipe(lambda w: Request("POST", "/services", {"name": f"bench-{uuid.uuid4().hex[:12]}"},
                                                    w.dev), 201, WRITE),
    ("GET", "/services/{service_id}"): Recipe(lambda w: Request("GET", f"/services/{w.service_id}", None, w.dev), 200,
                                              READ),
    ("PATCH", "/services/{service_id}"): Recipe(lambda w: Request("PATCH", f"/services/{w.service_id}",
                                                                  {"description": uuid.uuid4().hex}, w.dev), 200, WRITE),
    ("DELETE", "/services/{service_id}"): Recipe(lambda w: Request("DELETE", f"/services/{w.new_service()}", None,
                                                                   w.dev), 204, WRITE),
    ("GET", "/services/{service_id}/deployments"): Recipe(
        lambda w: Request("GET", f"/services/{w.service_id}/deployments", None, w.dev), 200, READ),
    ("GET", "/services/{service_id}/logs"): Recipe(
        lambda w: Request("GET", f"/services/{w.service_id}/logs", None, w.dev), 200, READ),
    ("POST", "/deployments"): Recipe(lambda w: Request("POST", "/deployments", {"service_id": w.new_service(),
                                                                                "version": "v1"}, w.dev),
                                     202, WRITE, target=2, sfn=("StartExecution",), after=_stop),
    ("GET", "/deployments"): Recipe(lambda w: Request("GET", "/deployments", None, w.dev), 200, READ),
    ("GET", "/deployments/{deployment_id}"): Recipe(
        lambda w: Request("GET", f"/deployments/{w.deployment_id}", None, w.dev), 200, READ),
    ("GET", "/deployments/{deployment_id}/logs"): Recipe(
        lambda w: Request("GET", f"/deployments/{w.deployment_id}/logs", None, w.dev), 200, READ),
    ("POST", "/deployments/{deployment_id}/cancel"): Recipe(
        lambda w: Request("POST", f"/deployments/{w.running_deployment()}/cancel", None, w.dev), 200, WRITE, target=2,
        sfn=("StopExecution",)),
    ("POST", "/deployments/{deployment_id}/rollback"): Recipe(
        lambda w: Request("POST", f"/deployments/{w.rollback_candidate()}/rollback", None, w.dev), 202, WRITE,
        target=2, sfn=("StartExecution",), after=_stop),
    ("GET", "/flags"): Recipe(lambda w: Request("GET", "/flags", None, w.dev), 200, READ),
    ("POST", "/flags"): Recipe(lambda w: Request("POST", "/flags", {"key": f"bench-{uuid.uuid4().hex[:12]}"}, w.dev),
                               201, WRITE),
    ("GET", "/flags/{key}"): Recipe(lambda w: Request("GET", f"/flags/{w.flag_key}", None, w.dev), 200, READ),
    ("PATCH", "/flags/{key}"): Recipe(lambda w: Request("PATCH", f"/flags/{w.flag_key}",
                                                        {"description": uuid.uuid4().hex}, w.dev), 200, WRITE),
    ("DELETE", "/flags/{key}"): Recipe(lambda w: Request("DELETE", f"/flags/{w.new_flag()}", None, w.admin), 204,
                                       WRITE),
    ("GET", "/flags/{key}/evaluate"): Recipe(
        lambda w: Request("GET", f"/flags/{w.flag_key}/evaluate?user_id=user-42", None, w.sdk_key), 200, EVALUATION,
        target=0),
    ("POST", "/flags/evaluate"): Recipe(lambda w: Request("POST", "/flags/evaluate", {"user_id": "user-42"}, w.sdk_key),
                                        200, EVALUATION, target=0),
    ("POST", "/ofrep/v1/evaluate/flags/{key}"): Recipe(
        lambda w: Request("POST", f"/ofrep/v1/evaluate/flags/{w.flag_key}", _ofrep(w), w.sdk_key), 200, EVALUATION,
        target=0),
    ("POST", "/ofrep/v1/evaluate/flags"): Recipe(
        lambda w: Request("POST", "/ofrep/v1/evaluate/flags", _ofrep(w), w.sdk_key), 200, EVALUATION, target=0),
    ("GET", "/sdk-keys"): Recipe(lambda w: Request("GET", "/sdk-keys", None, w.admin), 200, READ),
    ("POST", "/sdk-keys"): Recipe(lambda w: Request("POST", "/sdk-keys", {"name": "k", "environment": "production"},
                                                    w.admin), 201, WRITE),
    ("DELETE", "/sdk-keys/{key_id}"): Recipe(lambda w: Request("DELETE", f"/sdk-keys/{w.new_sdk_key_id()}", None,
                                                               w.admin), 204, WRITE),
    ("GET", "/metrics/summary"): Recipe(lambda w: Request("GET", "/metrics/summary?days=30", None, w.dev), 200, READ),
    ("GET", "/alerts"): Recipe(lambda w: Request("GET", "/alerts", None, w.dev), 200, READ),
    ("POST", "/alerts/{alert_id}/ack"): Recipe(lambda w: Request("POST", f"/alerts/{w.new_alert()}/ack", None, w.dev),
                                               200, WRITE),
}

# Why a route makes more calls than its target, where that is the design rather than waste.
EXPLAINED = {
    "POST /auth/login": "three reads by key before the transaction: the email's throttle counter, the email -> id "
                        "guard, the user (hash, role, generation). bcrypt at cost 12 (~0.25 s) outweighs them",
    "POST /auth/password": "reads the user afresh (the current hash must be checked against the stored one, not a "
                           "cached copy) before the transaction",
    "PATCH /users/{user_id}": "reads the user before the transaction: the audit entry carries the old values and "
                              "commits with the change; DynamoDB transactions cannot return old values",
    "DELETE /users/{user_id}": "reads the user before the transaction (the audit entry's old values, the admin "
                               "count)",
    "PATCH /services/{service_id}": "reads the service before the transaction (owner check, audit old values)",
    "DELETE /services/{service_id}": "reads the service before the transaction (owner check, audit old values, "
                                     "active deployment)",
    "PATCH /flags/{key}": "reads the flag before the transaction (audit old values)",
    "DELETE /flags/{key}": "reads the flag before the transaction (audit old values)",
    "DELETE /sdk-keys/{key_id}": "reads the key before the transaction (audit old values)",
    "POST /alerts/{alert_id}/ack": "reads the alert before the transaction (audit old values; acknowledging twice "
                                   "changes nothing)",
    "POST /deployments/{deployment_id}/cancel": "reads the deployment (status, steps: every step not yet succeeded "
                                                "becomes skipped, conditioned on what was read) before the "
                                                "transaction",
    "POST /deployments/{deployment_id}/rollback": "reads the deployment and queries the service's earlier "
                                                  "deployments in that environment for the version to redeploy",
    "GET /health": "one call per dependency: a BatchGetItem over every table and DescribeStateMachine",
}


def _aws(recorder) -> tuple[list[str], list[str]]:
    dynamodb = [op for service, op in recorder.calls if service == "dynamodb"]
    stepfunctions = [op for service, op in recorder.calls if service == "stepfunctions"]
    return dynamodb, stepfunctions


def round_trips(harness, recorder_cls, world: World, results) -> None:
    from chalicelib.api.routing import ROUTES

    table = {}
    missing = sorted(set(ROUTES) - set(RECIPES))
    if missing:
        results.fail("round_trips", f"no benchmark recipe for {missing}")
    with recorder_cls() as recorder:
        for key in sorted(set(ROUTES) & set(RECIPES), key=lambda k: (k[1], k[0])):
            recipe = RECIPES[key]
            name = f"{key[0]} {key[1]}"
            for attempt in ("warm-up", "measured"):
                request = recipe.build(world)  # the recipe's own setup calls are not counted
                recorder.reset()
                status, reply = harness.call(request.method, request.path, request.body, request.token,
                                             request.headers)
                dynamodb, stepfunctions = _aws(recorder)
                if recipe.after is not None:
                    recipe.after(world, reply)
                if status != recipe.status:
                    results.fail("round_trips", f"{name} answered {status} ({attempt}): {str(reply)[:300]}")
                    break
            else:
                calls = len(dynamodb) + len(stepfunctions)
                scans = dynamodb.count("Scan")
                shape_ok = (recipe.kind != WRITE or dynamodb == ["TransactWriteItems"]) and \
                    sorted(stepfunctions) == sorted(recipe.sfn)
                meets = calls == recipe.target and scans == 0 and shape_ok
                table[name] = {"kind": recipe.kind, "calls": calls, "dynamodb": dynamodb,
                               "stepfunctions": stepfunctions, "scans": scans, "target": recipe.target,
                               "meets_target": meets, "why": None if meets else EXPLAINED.get(name)}
        authorization = _authorization_calls(recorder, world)
        flag_fill = _flag_cache_fill_calls(harness, recorder, world)
    misses = sorted(name for name, row in table.items() if not row["meets_target"])
    results.put("round_trips", {
        "per_route": table, "routes": len(table), "authorization": authorization,
        "flag_cache_fill": flag_fill,
        "scans": sum(row["scans"] for row in table.values()),
        "misses": misses, "unexplained_misses": [name for name in misses if not table[name]["why"]],
        "targets": "read = 1 call; write = 1 TransactWriteItems (+ StartExecution for a trigger, StopExecution for a "
                   "cancel); warm authorization = 0; warm flag evaluation = 0; Scans = 0",
    })


def _authorization_calls(recorder, world: World) -> dict:
    """Authentication + authorization alone, for a user token and an SDK key: cold (cache just
    emptied) and warm."""
    from chalicelib.domain import auth

    found = {}
    for kind, credential in (("user_token", world.dev), ("sdk_key", world.sdk_key)):
        auth.credential_cache.clear()
        for state in ("cold", "warm"):
            recorder.reset()
            caller = auth.authenticate(f"Bearer {credential}", request_id="bench", source_ip=None)
            auth.authorize(caller, "viewer", sdk_key_allowed=True)
            found[f"{kind}_{state}"] = len(recorder.calls)
    found["meets_target"] = found["user_token_warm"] == 0 and found["sdk_key_warm"] == 0
    return found


def _flag_cache_fill_calls(harness, recorder, world: World) -> dict:
    """What an evaluation costs when this instance's flag cache is empty (once per TTL)."""
    from chalicelib.domain import flags

    flags.cache.clear()
    recorder.reset()
    status, _ = harness.call("POST", "/flags/evaluate", {"user_id": "user-42"}, world.sdk_key)
    return {"status": status, "calls": len(recorder.calls), "operations": sorted({op for _, op in recorder.calls}),
            "flags": len(flags.cache.snapshot().rules)}


# ---------------------------------------------------------------- scale
class Seeder:
    """Items straight into one table with BatchWriteItem (the API would spend bcrypt, audit and
    transactions on each). ``partition`` lists put every item in the partition the list reads."""

    def __init__(self, table: str, make: Callable[[int], Any]) -> None:
        self.table, self.make = table, make

    def seed(self, count: int) -> None:
        """BatchWriteItem of 25 items at a time, four requests in flight (the emulator applies them one
        at a time; the HTTP around them overlaps)."""
        if count <= 0:
            return
        from chalicelib.core import aws
        from chalicelib.core.settings import get_settings

        client, table = aws.client("dynamodb"), get_settings().table_name(self.table)
        items = [{"PutRequest": {"Item": self.make(i).serialize()}} for i in range(count)]

        def write(chunk: list[dict]) -> None:
            while chunk:
                unprocessed = client.batch_write_item(RequestItems={table: chunk}).get("UnprocessedItems", {})
                chunk = unprocessed.get(table, [])

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, [items[i:i + 25] for i in range(0, len(items), 25)]))


def _seed_time(i: int) -> tuple[str, str]:
    from chalicelib.core import clock

    return clock.now_iso(), clock.new_id()


def seeders(scale_service_id: str, scale_deployment_id: str) -> dict[str, Seeder]:
    from chalicelib.core import clock
    from chalicelib.domain import audit, logs
    from chalicelib.storage import audit as audit_store
    from chalicelib.storage.alerts import AlertRecord
    from chalicelib.storage.flags import FlagRecord
    from chalicelib.storage.sdk_keys import SdkKeyRecord
    from chalicelib.storage.services import ServiceRecord
    from chalicelib.storage.users import UserRecord

    caller = system_caller()

    def user(i):
        now, user_id = _seed_time(i)
        return UserRecord(user_id, email=f"{user_id}@seed.example", name="Seed", role="viewer", password_hash="x",
                          created_at=now, updated_at=now, sort_key=clock.sort_key(now, user_id))

    def service(i):
        now, service_id = _seed_time(i)
        return ServiceRecord(service_id, name=f"seed-{service_id[:12]}", owner_id=caller.id, created_at=now,
                             updated_at=now, active_slots={}, sort_key=clock.sort_key(now, service_id))

    def flag(i):
        now, key = clock.now_iso(), f"seed-{uuid.uuid4().hex}"
        return FlagRecord(key, created_at=now, updated_at=now, sort_key=clock.sort_key(now, key))

    def sdk_key(i):
        now, key_id = _seed_time(i)
        return SdkKeyRecord(key_id, name="seed", environment="staging", key_hash=uuid.uuid4().hex,
                            key_prefix="idp_sk_seed", created_at=now, sort_key=clock.sort_key(now, key_id))

    def alert(i):
        now, alert_id = _seed_time(i)
        return AlertRecord(alert_id, rule="service_registered", subject=str(uuid.uuid4()), severity="info",
                           status="resolved" if i % 2 else "open", message="seed", opened_at=now,
                           sort_key=clock.sort_key(now, alert_id))

    def log_line(i):
        return logs.new_record(logs.LogLine(scale_service_id, "INFO", f"seed {i}", deployment_id=scale_deployment_id))

    return {
        "users": Seeder("users", user),
        "audit": Seeder("audit", lambda i: audit_store.new_entry(audit.entry(caller, "user.update", str(uuid.uuid4())))),
        "services": Seeder("services", service),
        "deployments": Seeder("deployments", lambda i: seed_deployment(scale_service_id, f"s{i}", save=False)),
        "logs": Seeder("logs", log_line),
        "flags": Seeder("flags", flag),
        "sdk-keys": Seeder("sdk-keys", sdk_key),
        "alerts": Seeder("alerts", alert),
    }


# list path -> (table it reads, concrete path); every list of the route table must be here.
def scale_cases(service_id: str, deployment_id: str) -> dict[str, tuple[str, str]]:
    return {
        "/users": ("users", "/users"),
        "/people": ("users", "/people"),
        "/audit": ("audit", "/audit"),
        "/services": ("services", "/services"),
        "/services/{service_id}/deployments": ("deployments", f"/services/{service_id}/deployments"),
        "/services/{service_id}/logs": ("logs", f"/services/{service_id}/logs"),
        "/deployments": ("deployments", "/deployments"),
        "/deployments/{deployment_id}/logs": ("logs", f"/deployments/{deployment_id}/logs"),
        "/flags": ("flags", "/flags"),
        "/sdk-keys": ("sdk-keys", "/sdk-keys"),
        "/alerts": ("alerts", "/alerts"),
    }


def _item_count(table: str) -> int:
    """Items in a table, from DescribeTable (the emulator counts them live; not a request path)."""
    from chalicelib.core import aws
    from chalicelib.core.settings import get_settings

    return int(aws.client("dynamodb").describe_table(TableName=get_settings().table_name(table))["Table"]["ItemCount"])


def list_routes() -> list[str]:
    from chalicelib.api.routing import ROUTES

    return sorted(path for (method, path), spec in ROUTES.items()
                  if method == "GET" and spec.response is not None and "Page[" in getattr(spec.response, "__name__", ""))


def scale(harness, recorder_cls, world: World, config, results, log) -> None:
    limit = 20
    service_id = world.new_service()
    deployment_id = seed_deployment(service_id, "scale").id
    cases = scale_cases(service_id, deployment_id)
    missing = [path for path in list_routes() if path not in cases]
    if missing:
        results.fail("scale", f"no seeder for list endpoints {missing}")
    tables = seeders(service_id, deployment_id)
    figures: dict = {}
    with recorder_cls() as recorder:
        for size in config.scale_sizes:
            for table, seeder in tables.items():
                # The lists read one partition of these: it gets at least a page's worth at once.
                wanted = max(size - _item_count(table), limit + 1 if size == config.scale_sizes[0] else 0)
                log(f"scale: {table} +{max(wanted, 0)} items")
                seeder.seed(wanted)
            for route, (table, path) in cases.items():
                recorder.reset()
                status, body = harness.call("GET", f"{path}?limit={limit}", None, world.admin)
                if status != 200 or len(body["items"]) != limit or not body["next_cursor"]:
                    results.fail("scale", f"{path} answered {status} with {len(body.get('items', []))} items")
                    continue
                dynamodb, _ = _aws(recorder)
                figures.setdefault(route, {"table": table, "sizes": {}})["sizes"][str(size)] = {
                    "items_in_table": _item_count(table), "examined": sum(recorder.scanned),
                    "queries": len(recorder.scanned), "calls": dynamodb}
    for row in figures.values():
        examined = [v["examined"] for v in row["sizes"].values()]
        row["meets_target"] = len(set(examined)) == 1 and examined[0] <= limit + 1 and len(examined) == 2
    results.put("scale", {"limit": limit, "sizes": list(config.scale_sizes), "per_list": figures,
                          "misses": sorted(r for r, row in figures.items() if not row["meets_target"]),
                          "target": "items examined the same at both sizes and <= limit + 1"})


# ---------------------------------------------------------------- latency
def main_routes(h: dict) -> list[tuple[str, Request]]:
    """The requests a day on the platform is made of (``h``: World.handles())."""
    ofrep = {"context": {"targetingKey": "user-42"}}
    return [
        ("GET /auth/me", Request("GET", "/auth/me", None, h["dev"])),
        ("GET /services", Request("GET", "/services?limit=20", None, h["dev"])),
        ("GET /services/{id}", Request("GET", f"/services/{h['service_id']}", None, h["dev"])),
        ("GET /deployments/{id}", Request("GET", f"/deployments/{h['deployment_id']}", None, h["dev"])),
        ("GET /flags/{key}/evaluate (SDK key)", Request("GET", f"/flags/{h['flag_key']}/evaluate?user_id=user-42",
                                                        None, h["sdk_key"])),
        ("POST /flags/evaluate (SDK key, all flags)", Request("POST", "/flags/evaluate", {"user_id": "user-42"},
                                                              h["sdk_key"])),
        ("POST /ofrep/v1/evaluate/flags (SDK key)", Request("POST", "/ofrep/v1/evaluate/flags", ofrep, h["sdk_key"])),
    ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class _Reference:
    """The floor of the handler path: a bare Chalice app with one route that returns a constant,
    through the same test client, in the same process, interleaved with the measured requests."""

    def __init__(self) -> None:
        from chalice import Chalice
        from chalice.test import Client

        app = Chalice(app_name="bench-reference")

        @app.route("/ping")
        def ping():
            return {"status": "ok"}

        self.client = Client(app)

    def call(self) -> None:
        response = self.client.http.get("/ping")
        assert response.status_code == 200


def latency(harness, recorder_cls, world: World, config, results) -> None:
    routes = main_routes(world.handles())
    reference = _Reference()
    totals: dict[str, list[float]] = {name: [] for name, _ in routes}
    stores: dict[str, list[float]] = {name: [] for name, _ in routes}
    ref_times: list[float] = []
    with recorder_cls() as recorder:
        for name, request in routes:  # warm every cache once
            status, reply = harness.call(request.method, request.path, request.body, request.token, request.headers)
            if status != 200:
                results.fail("latency", f"{name} answered {status}: {str(reply)[:200]}")
                return
        for _ in range(config.latency_requests):  # interleaved: drift on the machine hits every route alike
            started = time.perf_counter()
            reference.call()
            ref_times.append(time.perf_counter() - started)
            for name, request in routes:
                recorder.reset()
                started = time.perf_counter()
                harness.call(request.method, request.path, request.body, request.token, request.headers)
                totals[name].append(time.perf_counter() - started)
                stores[name].append(recorder.aws_seconds)
    ref_p50 = _percentile(ref_times, 0.5)
    figures = {}
    for name, _ in routes:
        own = [t - s for t, s in zip(totals[name], stores[name], strict=True)]
        figures[name] = {
            "requests": len(totals[name]),
            "p50_ms": round(_percentile(totals[name], 0.5) * 1000, 2),
            "p99_ms": round(_percentile(totals[name], 0.99) * 1000, 2),
            "datastore_p50_ms": round(_percentile(stores[name], 0.5) * 1000, 2),
            "datastore_p99_ms": round(_percentile(stores[name], 0.99) * 1000, 2),
            "own_p50_ms": round(_percentile(own, 0.5) * 1000, 2),
            "own_p99_ms": round(_percentile(own, 0.99) * 1000, 2),
            "own_p50_vs_reference": round(_percentile(own, 0.5) / ref_p50, 2),
        }
    results.put("latency", {"per_route": figures, "reference_p50_ms": round(ref_p50 * 1000, 3),
                            "reference_p99_ms": round(_percentile(ref_times, 0.99) * 1000, 3),
                            "reference": "a bare Chalice route returning a constant, same test client, interleaved",
                            "note": "own = handler time minus the time spent inside AWS calls (the emulator's speed "
                                    "is not ours)"})


# ---------------------------------------------------------------- memory
def memory(world: World, config, results) -> None:
    measured = {}
    for which in ("app", "bare"):
        out = subprocess.run([sys.executable, __file__, "memory-probe", which, str(config.memory_requests),
                              json.dumps(world.handles())], capture_output=True, text=True, timeout=900)
        lines = [line for line in out.stdout.splitlines() if line.startswith(PROBE_MARK)]
        if out.returncode != 0 or not lines:
            results.fail("memory", f"{which} probe failed: {out.stderr[-800:]}")
            return
        measured[which] = json.loads(lines[-1][len(PROBE_MARK):])
    app, bare = measured["app"], measured["bare"]
    results.put("memory", {"requests": app["requests"], "peak_rss_mb": app["peak_rss_mb"],
                           "after_import_rss_mb": app["after_import_rss_mb"], "bare_peak_rss_mb": bare["peak_rss_mb"],
                           "ratio_to_bare": round(app["peak_rss_mb"] / bare["peak_rss_mb"], 2), "target_mb": 100,
                           "meets_target": app["peak_rss_mb"] <= 100, "statuses": app["statuses"],
                           "bare": "boto3 + a DynamoDB client + a one-route Chalice app serving the same number of "
                                   "requests through the same test client"})


def _rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: on Linux that keeps
    the high-water mark from before exec, i.e. the parent's size at fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status: peak memory cannot be measured here")


def memory_probe(which: str, requests: int, handles: dict) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    statuses: dict[str, int] = {}
    if which == "bare":
        import boto3
        from chalice import Chalice
        from chalice.test import Client

        app = Chalice(app_name="bare")
        dynamodb = boto3.client("dynamodb")

        @app.route("/ping")
        def ping():
            return {"status": "ok", "client": dynamodb.meta.service_model.service_name}

        client = Client(app)
        after_import = _rss_mb()
        for _ in range(requests):
            status = client.http.get("/ping").status_code
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    else:
        from bench import Harness

        harness = Harness()
        after_import = _rss_mb()
        mix = [request for _, request in main_routes(handles)] + [
            Request("GET", "/health"),
            Request("GET", "/openapi.json"),  # builds every schema once: the document stays in memory
            Request("GET", f"/services/{handles['service_id']}/logs", None, handles["dev"]),
            Request("GET", "/metrics/summary?days=30", None, handles["dev"]),
        ]
        for i in range(requests):
            request = mix[i % len(mix)]
            status, _ = harness.call(request.method, request.path, request.body, request.token, request.headers)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    print(PROBE_MARK + json.dumps({"requests": requests, "peak_rss_mb": _rss_mb(), "after_import_rss_mb": after_import,
                                   "statuses": statuses}), flush=True)


# ---------------------------------------------------------------- all of it
def run_all(harness, recorder_cls, config, results, log) -> None:
    import bench_deploy

    from bench import ADMIN_EMAIL, ADMIN_PASSWORD

    log("fixtures")
    try:
        world = World(harness, config.bulk_flags, ADMIN_EMAIL, ADMIN_PASSWORD)
    except Exception as error:  # noqa: BLE001 - reported as figures not measured, and a non-zero exit
        for figure in ("round_trips", "latency", "memory", "orchestration", "scale"):
            results.fail(figure, f"the fixtures could not be made: {error!r}")
        return
    phases = [
        ("round_trips", "round trips per route", lambda: round_trips(harness, recorder_cls, world, results)),
        ("latency", "handler latency", lambda: latency(harness, recorder_cls, world, config, results)),
        ("memory", "memory", lambda: memory(world, config, results)),
        ("orchestration", "deployment orchestration", lambda: bench_deploy.measure(harness, world, config, results,
                                                                                   log)),
        ("scale", "items examined per list page", lambda: scale(harness, recorder_cls, world, config, results, log)),
    ]
    for figure, title, phase in phases:
        log(title)
        try:
            phase()
        except Exception as error:  # noqa: BLE001 - one broken figure must not hide the others
            results.fail(figure, f"{type(error).__name__}: {error}")


def _fmt_ops(ops: list[str]) -> str:
    return "+".join(ops) if ops else "-"


def render_table(report: dict) -> str:
    f = report["figures"]
    out = [f"IDP benchmarks ({report['command']}, commit {str(report['commit']['sha'])[:10]}"
           f"{' +local changes' if report['commit']['dirty'] else ''}, {report['machine']['cpus']} CPUs)", ""]

    def line(label: str, value: str) -> None:
        out.append(f"{label:<46} {value}")

    if "cold_start" in f:
        c = f["cold_start"]
        line("cold start, app / bare (median of pairs)",
             f"{c['median_ratio']:.2f}  target <= 1.3  {'OK' if c['meets_target'] else 'MISS'}")
        line("  app | bare, medians",
             f"{c['app_median_s'] * 1000:.0f} ms | {c['bare_median_s'] * 1000:.0f} ms ({c['runs']} alternated runs)")
        line("  app import | first /health (data store)",
             f"{c['app_import_median_s'] * 1000:.0f} ms | {c['app_first_request_median_s'] * 1000:.0f} ms "
             f"({c['app_first_request_datastore_median_s'] * 1000:.0f} ms, {c['app_first_request_aws_calls']} calls)")
        line("  ratio without the data store's time", f"{c['median_ratio_without_datastore']:.2f}")
        line("  app compiling its own modules (no .pyc)", f"{c['app_without_own_bytecode_median_s'] * 1000:.0f} ms, "
                                                          f"ratio {c['app_without_own_bytecode_median_ratio']:.2f}")
        line("  app compiling everything it imports", f"{c['app_without_any_bytecode_median_s'] * 1000:.0f} ms, "
                                                      f"ratio {c['app_without_any_bytecode_median_ratio']:.2f}")
    if "round_trips" in f:
        r = f["round_trips"]
        a = r["authorization"]
        out.append("")
        line("AWS calls per request (warm caches)", f"{r['routes']} routes, {len(r['misses'])} over target, "
                                                     f"{r['scans']} Scans")
        line("  authorization, user token | SDK key", f"warm {a['user_token_warm']} | {a['sdk_key_warm']}  "
                                                      f"(cold {a['user_token_cold']} | {a['sdk_key_cold']})")
        fill = r["flag_cache_fill"]
        line("  flag cache fill (once per TTL)", f"{fill['calls']} call(s) for {fill['flags']} flags")
        for route, row in r["per_route"].items():
            mark = "ok " if row["meets_target"] else "OVER"
            ops = _fmt_ops(row["dynamodb"] + row["stepfunctions"])
            out.append(f"  {mark} {route:<44} {row['calls']} (target {row['target']})  {ops}")
            if row["why"]:
                out.append(f"        why: {row['why']}")
    if "scale" in f:
        s = f["scale"]
        small, large = (str(n) for n in s["sizes"])
        out.append("")
        line(f"items examined, first page of {s['limit']}", f"with {small} | {large} items in the table "
                                                            f"(target same, <= {s['limit'] + 1})")
        for route, row in s["per_list"].items():
            sizes = row["sizes"]
            if small in sizes and large in sizes:
                line(f"  {'ok ' if row['meets_target'] else 'MISS'} {route}",
                     f"{sizes[small]['examined']} | {sizes[large]['examined']}")
    if "latency" in f:
        lat = f["latency"]
        out.append("")
        line("handler latency, ms", f"p50 / p99 total; data store p50; ours p50 / p99; ours / reference "
                                    f"({lat['reference_p50_ms']} ms)")
        for name, row in lat["per_route"].items():
            line(f"  {name}", f"{row['p50_ms']} / {row['p99_ms']}; {row['datastore_p50_ms']}; "
                              f"{row['own_p50_ms']} / {row['own_p99_ms']}; x{row['own_p50_vs_reference']}")
    if "memory" in f:
        m = f["memory"]
        out.append("")
        line(f"peak RSS, {m['requests']} mixed requests",
             f"{m['peak_rss_mb']} MB (after import {m['after_import_rss_mb']} MB; bare {m['bare_peak_rss_mb']} MB)  "
             f"target <= 100  {'OK' if m['meets_target'] else 'MISS'}")
    if "orchestration" in f:
        o = f["orchestration"]
        out.append("")
        line("deployment: trigger -> terminal - seed time",
             f"{o['overhead_median_s']:+.2f} s median of {o['runs']} (seed {o['seed_s']} s, waits {o['waits_s']} s)  "
             f"target <= 0.5  {'OK' if o['meets_target'] else 'MISS'}")
        line("  202 after | RUNNING visible after", f"{o['accepted_median_s'] * 1000:.0f} ms | "
                                                    f"{o['running_visible_median_s']:.2f} s")
    if "flags_vs_peers" in f:
        p = f["flags_vs_peers"]
        out.append("")
        line("flag evaluations/s, one core (median)", f"ours {p['ours_per_s']:,.0f}")
        for peer in ("launchdarkly", "unleash"):
            row = p["peers"][peer]
            line(f"  {row['scheme']}", f"{row['per_s']:,.0f}  ours / theirs x{row['ours_vs_theirs']:.2f}")
    if "portal" in f:
        portal = f["portal"]
        size = portal["first_visit_services"]
        out.append("")
        within = size["total_gzip_kb"] <= size["aim_kb"]
        line("portal: JS + CSS of a first visit of /services", f"{size['total_gzip_kb']} KB gzip (JS {size['js_gzip_kb']}, "
             f"CSS {size['css_gzip_kb']})  aim <= {size['aim_kb']}  {'OK' if within else 'MISS'}")
        if "first_visit_flags" in portal:
            flags = portal["first_visit_flags"]
            within = flags["total_gzip_kb"] <= flags["aim_kb"]
            line("portal: JS + CSS of a first visit of /flags", f"{flags['total_gzip_kb']} KB gzip (JS {flags['js_gzip_kb']}, "
                 f"CSS {flags['css_gzip_kb']})  aim <= {flags['aim_kb']}  {'OK' if within else 'MISS'}")
        for page, row in portal["lighthouse"].items():
            ok = min(row["performance"], row["accessibility"]) >= portal["score_aim"]
            line(f"  lighthouse {page}", f"performance {row['performance']}, accessibility {row['accessibility']}  "
                                         f"aim >= {portal['score_aim']}  {'OK' if ok else 'MISS'}")
        line("  API calls, first view", ", ".join(f"{page} {row['count']}"
                                                   for page, row in portal["api_calls_first_view"].items()))
    if report["missing"]:
        out.append("")
        for item in report["missing"]:
            out.append(f"NOT MEASURED: {item['figure']}: {item['reason']}")
    return "\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "memory-probe":
        memory_probe(sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]))
