"""The flag evaluator against what users would pick instead, for scripts/bench.

The same evaluation (enabled? environment targeted? user in the rollout?) over the same flags and
the same users, in the same process, with three bucketing schemes:

- ours (chalicelib.domain.evaluation): SHA-256 of ``"<flag>:<user>"``, first 8 bytes mod 100;
- LaunchDarkly's: SHA-1 of ``"<flag>.<salt>.<user>"``, the first 15 hex digits / 0xFFFFFFFFFFFFFFF,
  in the rollout when below the percentage / 100;
- Unleash's: MurmurHash3 (32 bits, seed 0) of ``"<group>:<user>"`` mod 100 + 1, in the rollout when
  at most the percentage (``mmh3``, pinned in requirements-dev.txt).

Rounds alternate between the schemes; each scheme's figure is the median of its rounds, and the
comparison is the median of the per-round ratios (drift on the machine hits all three alike).
These are the bucketing schemes, not the peers' SDKs (which add their own layers on top).
"""
from __future__ import annotations

import hashlib
import statistics
import time

try:
    import mmh3
except ImportError:  # reported as a figure that could not be measured
    mmh3 = None

LD_SCALE = float(0xFFFFFFFFFFFFFFF)


def _flags():
    from chalicelib.domain.evaluation import FlagRule

    # A partial rollout (every evaluation hashes), in a targeted environment: the costly path.
    return [FlagRule(key=f"bench-flag-{i}", enabled=True, environments=frozenset({"production"}),
                     rollout_percentage=pct) for i, pct in enumerate((10, 25, 50, 75, 90))]


def _run(evaluate, rules, users) -> int:
    hits = 0
    for user in users:
        for rule in rules:
            hits += evaluate(rule, "production", user)
    return hits


def ours(rules, users) -> int:
    from chalicelib.domain.evaluation import evaluate

    return _run(lambda rule, environment, user: evaluate(rule, environment, user).enabled, rules, users)


# The peers' schemes in the same shape as ours: the same rules first, then the bucket.
def _launchdarkly_in_rollout(rule, user: str) -> bool:
    # The salt is a per-flag string; SHA-1 is their bucketing hash, not used for security.
    digest = hashlib.sha1(f"{rule.key}.{rule.key}.{user}".encode()).hexdigest()  # noqa: S324
    return int(digest[:15], 16) / LD_SCALE < rule.rollout_percentage / 100


def _unleash_in_rollout(rule, user: str) -> bool:
    return mmh3.hash(f"{rule.key}:{user}", 0, signed=False) % 100 + 1 <= rule.rollout_percentage


def _evaluator(in_rollout):
    def evaluate(rule, environment: str, user: str) -> bool:
        if not rule.enabled:
            return False
        if rule.environments and environment not in rule.environments:
            return False
        return rule.rollout_percentage >= 100 or in_rollout(rule, user)

    return evaluate


def launchdarkly(rules, users) -> int:
    return _run(_evaluator(_launchdarkly_in_rollout), rules, users)


def unleash(rules, users) -> int:
    return _run(_evaluator(_unleash_in_rollout), rules, users)


SCHEMES = {"ours": ours, "launchdarkly": launchdarkly, "unleash": unleash}
DESCRIPTIONS = {"launchdarkly": "LaunchDarkly bucketing (SHA-1, 15 hex digits)",
                "unleash": "Unleash bucketing (MurmurHash3 32-bit, mod 100 + 1)"}


def measure(config, results) -> None:
    if mmh3 is None:
        results.fail("flags_vs_peers", "mmh3 is not installed (requirements-dev.txt pins it)")
        return
    rules = _flags()
    users = [f"user-{i}" for i in range(config.flag_users // len(rules))]
    evaluations = len(users) * len(rules)
    rates: dict[str, list[float]] = {name: [] for name in SCHEMES}
    shares: dict[str, float] = {}
    for _ in range(config.flag_rounds):
        for name, scheme in SCHEMES.items():
            started = time.perf_counter()
            hits = scheme(rules, users)
            rates[name].append(evaluations / (time.perf_counter() - started))
            shares[name] = hits / evaluations
    ours_rate = statistics.median(rates["ours"])
    peers = {}
    for name in ("launchdarkly", "unleash"):
        per_round = [o / p for o, p in zip(rates["ours"], rates[name], strict=True)]
        peers[name] = {"scheme": DESCRIPTIONS[name], "per_s": round(statistics.median(rates[name])),
                       "ours_vs_theirs": round(statistics.median(per_round), 3),
                       "share_in_rollout": round(shares[name], 4)}
    results.put("flags_vs_peers", {
        "ours_per_s": round(ours_rate), "ours_share_in_rollout": round(shares["ours"], 4),
        "expected_share_in_rollout": round(sum(r.rollout_percentage for r in rules) / 100 / len(rules), 4),
        "peers": peers, "evaluations_per_round": evaluations, "rounds": config.flag_rounds,
        "note": "one core, the same rules and users in the same process; ratio > 1 means ours is faster",
    })
