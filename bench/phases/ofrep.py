"""OFREP through the handler: requests per second of ``POST /ofrep/v1/evaluate/flags/{key}`` (one
flag, a 50 % rollout) and of the bulk ``POST /ofrep/v1/evaluate/flags`` over ``ofrep_bulk_flags``
flags, through Chalice's test client with warm caches (an SDK key, no AWS call), next to a bare
Chalice route that reads a JSON body and answers a small object, in rounds that alternate. And how
much of a warm single-flag request is ours: by difference with the bare route, and by a profile
(own time per function, grouped by where the function lives)."""
from __future__ import annotations

import cProfile
import pstats
import time
import uuid
from pathlib import Path

from bench.core import ROOT, median
from bench.fixtures import World
from bench.harness import Recorder
from bench.phases.latency import Reference
from bench.phases.scale import Seeder


def _flag(i: int):
    from chalicelib.core import clock
    from chalicelib.storage.flags import FlagRecord

    now, key = clock.now_iso(), f"ofrep-{i:03d}-{uuid.uuid4().hex[:8]}"
    return FlagRecord(key, enabled=i % 5 != 0, environments=["production"] if i % 3 else [],
                      rollout_percentage=(i * 7) % 101, created_at=now, updated_at=now, version=1,
                      sort_key=clock.sort_key(now, key))


def _fill(wanted: int) -> int:
    """Flags straight into the table until it holds ``wanted``; returns how many it holds."""
    from chalicelib.domain import flags

    flags.cache.clear()
    have = len(flags.cache.snapshot().rules)
    Seeder("flags", _flag).seed(wanted - have)
    flags.cache.clear()
    return len(flags.cache.snapshot().rules)


def _where(filename: str) -> str:
    path = Path(filename)
    if path.is_relative_to(ROOT / "chalicelib") or path == ROOT / "app.py":
        return "ours"
    parts = path.parts
    if "chalice" in parts:
        return "chalice"
    if "aws_lambda_powertools" in parts:
        return "powertools"
    if "site-packages" in parts:
        return "other libraries"
    return "python"  # the standard library and builtins


def _profile(call, requests: int) -> dict:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        call()
    profiler.disable()
    own: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in pstats.Stats(profiler).stats.items():
        where = _where(filename)
        own[where] = own.get(where, 0.0) + tottime
    total = sum(own.values())
    return {where: round(seconds / total, 3) for where, seconds in sorted(own.items(), key=lambda kv: -kv[1])}


def measure(harness, world: World, config, results, log) -> None:
    flags_held = _fill(config.ofrep_bulk_flags)
    body = {"context": {"targetingKey": "user-42"}}
    single = f"/ofrep/v1/evaluate/flags/{world.flag_key}"

    def one() -> None:
        status, _ = harness.call("POST", single, body, world.sdk_key)
        assert status == 200, status

    def bulk() -> None:
        status, reply = harness.call("POST", "/ofrep/v1/evaluate/flags", body, world.sdk_key)
        assert status == 200 and len(reply["flags"]) == flags_held, status

    reference = Reference()
    sides = {"reference": reference.post, "single": one, "bulk": bulk}
    for call in sides.values():  # warm every cache
        call()
    rates: dict[str, list[float]] = {name: [] for name in sides}
    with Recorder() as recorder:
        for _ in range(config.ofrep_rounds):
            for name, call in sides.items():
                count = config.ofrep_requests if name != "bulk" else max(1, config.ofrep_requests // 10)
                started = time.perf_counter()
                for _ in range(count):
                    call()
                rates[name].append(count / (time.perf_counter() - started))
    shares = [1 - s / r for s, r in zip(rates["single"], rates["reference"], strict=True)]
    log("OFREP: a profile of the single-flag request")
    results.put("ofrep", {
        "flags_in_bulk": flags_held,
        "single_rps": round(median(rates["single"])),
        "bulk_rps": round(median(rates["bulk"]), 1),
        "bulk_evaluations_per_s": round(median(rates["bulk"]) * flags_held),
        "reference_rps": round(median(rates["reference"])),
        "single_vs_reference": round(median([s / r for s, r in zip(rates["single"], rates["reference"],
                                                                   strict=True)]), 3),
        "single_share_ours_by_difference": round(median(shares), 3),
        "single_own_time_by_origin": _profile(one, max(50, config.ofrep_requests // 4)),
        "aws_calls_while_measured": len(recorder.calls),
        "rounds": config.ofrep_rounds, "requests_per_round": config.ofrep_requests,
        "bulk_requests_per_round": max(1, config.ofrep_requests // 10),
        "reference": "a bare Chalice POST route that reads the JSON body and answers a small object, same test "
                     "client, alternated rounds",
        "note": "warm caches (SDK key, flag snapshot); share by difference = 1 - reference time / our time per "
                "request; own time by origin = cProfile's own time per function grouped by its file (the profiler "
                "inflates small functions: a rough split)",
    })
