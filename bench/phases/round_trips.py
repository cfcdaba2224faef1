"""AWS calls per route: every route of the route table has a recipe (one request, with the data
it needs made first, never counted); each runs once to warm the caches and once measured. The
harness refuses to report the figure when a route has no recipe."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.fixtures import Request, World
from bench.harness import Recorder


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


def aws_operations(recorder) -> tuple[list[str], list[str]]:
    dynamodb = [op for service, op in recorder.calls if service == "dynamodb"]
    stepfunctions = [op for service, op in recorder.calls if service == "stepfunctions"]
    return dynamodb, stepfunctions


def measure(harness, world: World, results) -> None:
    from chalicelib.api.routing import ROUTES

    table = {}
    missing = sorted(set(ROUTES) - set(RECIPES))
    if missing:
        results.fail("round_trips", f"no benchmark recipe for {missing}")
    with Recorder() as recorder:
        for key in sorted(set(ROUTES) & set(RECIPES), key=lambda k: (k[1], k[0])):
            recipe = RECIPES[key]
            name = f"{key[0]} {key[1]}"
            for attempt in ("warm-up", "measured"):
                request = recipe.build(world)  # the recipe's own setup calls are not counted
                recorder.reset()
                status, reply = harness.call(request.method, request.path, request.body, request.token,
                                             request.headers)
                dynamodb, stepfunctions = aws_operations(recorder)
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

