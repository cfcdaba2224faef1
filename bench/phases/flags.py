"""Our warm flag evaluation against what a user would pick instead: the LaunchDarkly and Unleash
server SDKs for Python, run offline in this process (LaunchDarkly from a flag file, Unleash
bootstrapped from a dict; no network, no events, no metrics, no thread left afterwards), and a bare
SHA-256 bucket computation (the physical floor of our hash).

The same flag everywhere: enabled, targeted to one environment (``production``, the one asked
for), a 50 % rollout; the same users. Each evaluator answers a boolean per user, building the
user's context per call as a request would:

- ``ours``: the warm OFREP path of the API, the very calls ``POST /ofrep/v1/evaluate/flags/{key}``
  makes for an SDK key (``chalicelib.domain.ofrep``: the context, the cache snapshot, the flag's
  prepared plan, the hash, the response dict). Not in it: the request's parsing and its one metric
  (the OFREP phase measures whole requests);
- ``ours_evaluator``: ``chalicelib.domain.evaluation.evaluate`` on the rule alone;
- ``launchdarkly``: ``LDClient.variation(key, Context.create(user), False)``;
- ``unleash``: ``UnleashClient.is_enabled(key, {"userId": user})``;
- ``bare_sha256``: ``int.from_bytes(sha256(f"{key}:{user}").digest()[:8], "big") % 100 < 50``.

Rounds alternate between the evaluators; a rate is the median of its rounds and a comparison the
median of the per-round ratios (drift on the machine hits every evaluator alike).
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.core import median
from bench.fixtures import World

ENVIRONMENT = "production"
ROLLOUT = 50
TARGET_VS_SDK = 10.0
TARGET_VS_SHA256 = 0.5


def _ours(key: str) -> Callable[[list[str]], int]:
    from chalicelib.domain import ofrep
    from chalicelib.domain.caller import Caller

    caller = Caller(kind="sdk_key", id="bench-sdk-key", environment=ENVIRONMENT)
    resolve_context, evaluate_flag = ofrep.resolve_context, ofrep.evaluate_flag

    def run(users: list[str]) -> int:
        # What chalicelib.api.ofrep.ofrep_evaluate_flag calls, per user.
        return sum(evaluate_flag(resolve_context(caller, ENVIRONMENT, user), key)["value"] for user in users)

    return run


def _ours_evaluator(key: str) -> Callable[[list[str]], int]:
    from chalicelib.domain.evaluation import evaluate
    from chalicelib.domain.flags import cache

    rule = cache.snapshot().rules[key]

    def run(users: list[str]) -> int:
        return sum(evaluate(rule, ENVIRONMENT, user).enabled for user in users)

    return run


def _bare_sha256(key: str) -> Callable[[list[str]], int]:
    sha256 = hashlib.sha256

    def run(users: list[str]) -> int:
        return sum(int.from_bytes(sha256(f"{key}:{user}".encode()).digest()[:8], "big") % 100 < ROLLOUT
                   for user in users)

    return run


def _launchdarkly(key: str, scratch: Path):
    import ldclient
    from ldclient import Context
    from ldclient.config import Config
    from ldclient.integrations import Files

    # An SDK key belongs to one environment in LaunchDarkly: the flag as that environment serves it.
    flag = {"key": key, "version": 1, "on": True, "salt": key, "variations": [False, True], "offVariation": 0,
            "fallthrough": {"rollout": {"variations": [{"variation": 1, "weight": ROLLOUT * 1000},
                                                       {"variation": 0, "weight": (100 - ROLLOUT) * 1000}]}},
            "targets": [], "rules": [], "prerequisites": [], "trackEvents": False, "trackEventsFallthrough": False}
    path = scratch / "launchdarkly.json"
    path.write_text(json.dumps({"flags": {key: flag}}))
    client = ldclient.LDClient(config=Config(
        sdk_key="bench-offline", update_processor_class=Files.new_data_source(paths=[str(path)], auto_update=False),
        send_events=False, diagnostic_opt_out=True), start_wait=5)
    if not client.is_initialized():
        raise RuntimeError("the LaunchDarkly client did not load its flag file")
    variation, create = client.variation, Context.create

    def run(users: list[str]) -> int:
        return sum(variation(key, create(user), False) for user in users)

    return run, client.close


def _unleash(key: str, scratch: Path):
    from UnleashClient import UnleashClient
    from UnleashClient.cache import FileCache

    cache = FileCache("bench", directory=str(scratch))
    cache.bootstrap_from_dict({"version": 1, "features": [{"name": key, "enabled": True, "strategies": [
        {"name": "flexibleRollout", "parameters": {"rollout": str(ROLLOUT), "stickiness": "default",
                                                   "groupId": key}}]}]})
    # An unreachable URL: registration and metrics are off and toggles come from the bootstrap.
    client = UnleashClient(url="http://127.0.0.1:9", app_name="bench", environment=ENVIRONMENT,
                           disable_metrics=True, disable_registration=True, cache=cache)
    client.initialize_client(fetch_toggles=False)
    is_enabled = client.is_enabled

    def run(users: list[str]) -> int:
        return sum(is_enabled(key, {"userId": user}) for user in users)

    return run, client.destroy


def _threads_left(before: set, timeout: float = 2.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def measure(world: World, config, results) -> None:
    key = f"bench-sdk-{uuid.uuid4().hex[:12]}"
    world.api("POST", "/flags", {"key": key, "enabled": True, "environments": [ENVIRONMENT],
                                 "rollout_percentage": ROLLOUT}, world.dev, 201)
    users = [f"user-{i}" for i in range(config.flag_users)]
    threads_before = set(threading.enumerate())
    with tempfile.TemporaryDirectory(prefix="idp-bench-sdks-") as scratch:
        launchdarkly, close_launchdarkly = _launchdarkly(key, Path(scratch))
        unleash, close_unleash = _unleash(key, Path(scratch))
        try:
            evaluators = {"ours": _ours(key), "ours_evaluator": _ours_evaluator(key), "launchdarkly": launchdarkly,
                          "unleash": unleash, "bare_sha256": _bare_sha256(key)}
            rates: dict[str, list[float]] = {name: [] for name in evaluators}
            shares: dict[str, float] = {}
            for _ in range(config.flag_rounds):
                for name, run in evaluators.items():
                    started = time.perf_counter()
                    hits = run(users)
                    rates[name].append(len(users) / (time.perf_counter() - started))
                    shares[name] = round(hits / len(users), 4)
        finally:
            close_launchdarkly()
            close_unleash()
    threads_left = _threads_left(threads_before)
    if threads_left:
        raise RuntimeError(f"the SDKs left threads running: {threads_left}")

    def ratio(a: str, b: str) -> float:
        return round(median([x / y for x, y in zip(rates[a], rates[b], strict=True)]), 3)

    vs = {"launchdarkly": ratio("ours", "launchdarkly"), "unleash": ratio("ours", "unleash"),
          "bare_sha256": ratio("ours", "bare_sha256")}
    results.put("flags_vs_sdks", {
        "per_s": {name: round(median(values)) for name, values in rates.items()},
        "ours_vs": vs,
        "ours_evaluator_vs_bare_sha256": ratio("ours_evaluator", "bare_sha256"),
        "share_in_rollout": shares, "expected_share": ROLLOUT / 100,
        "targets": {"vs_each_sdk": TARGET_VS_SDK, "vs_bare_sha256": TARGET_VS_SHA256},
        "meets_target": min(vs["launchdarkly"], vs["unleash"]) >= TARGET_VS_SDK and vs["bare_sha256"] >= TARGET_VS_SHA256,
        "sdks": {"launchdarkly": _version("launchdarkly-server-sdk"), "unleash": _version("UnleashClient")},
        "users": len(users), "rounds": config.flag_rounds, "threads_left": threads_left,
        "note": "one core, the same flag (enabled, one environment, 50 %) and users in the same process; ours = "
                "what POST /ofrep/v1/evaluate/flags/{key} calls for an SDK key: context -> snapshot -> the flag's "
                "plan -> hash -> OFREP response dict (not the request parsing, not its one metric); ratio > 1 "
                "means ours is faster",
    })


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)
