"""The pure evaluator: the four rules in order, and a bucket that is stable, monotonic, uniform and
independent between flags."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.evaluation import FlagRule, bucket, evaluate
from tests.conftest import ROOT


def rule(key="new-checkout", enabled=True, environments=(), rollout=100) -> FlagRule:
    return FlagRule(key=key, enabled=enabled, environments=frozenset(environments), rollout_percentage=rollout)


# Computed once with SHA-256("<key>:<user>"), first 8 bytes big-endian, mod 100 (checked with
# sha256sum and bc). If one of these changes, every user of every flag may flip: never "fix" them.
KNOWN_BUCKETS = [
    ("new-checkout", "user-1", 48),
    ("new-checkout", "user-2", 59),
    ("dark-mode", "alice", 86),
    ("dark-mode", "bob", 51),
    ("a", "0", 89),
    ("beta.search_v2", "42", 21),
    ("new-checkout", "ünïcode-üser", 14),
]


def test_known_buckets_never_drift():
    assert [(key, user, bucket(key, user)) for key, user, _ in KNOWN_BUCKETS] == KNOWN_BUCKETS


def test_the_four_rules_apply_in_order_with_the_seed_reasons_and_messages():
    # 1. disabled wins over everything else (even an untargeted environment and a 0 % rollout)
    off = evaluate(rule(enabled=False, environments=["staging"], rollout=0), "production", "user-1")
    assert (off.enabled, off.reason, off.to_dict()["message"]) == (False, "FLAG_DISABLED", "Flag is disabled")
    # 2. environment not listed wins over the rollout
    untargeted = evaluate(rule(environments=["staging"], rollout=0), "production", "user-1")
    assert (untargeted.enabled, untargeted.reason, untargeted.to_dict()["message"]) == (
        False, "ENVIRONMENT_NOT_TARGETED", "Environment not in rollout")
    # 3. bucket 48 is outside 48 % and inside 49 %
    outside = evaluate(rule(environments=["production"], rollout=48), "production", "user-1")
    assert (outside.enabled, outside.reason, outside.to_dict()["message"]) == (
        False, "OUTSIDE_ROLLOUT", "User not in rollout percentage")
    inside = evaluate(rule(environments=["production"], rollout=49), "production", "user-1")
    # 4. otherwise on
    assert (inside.enabled, inside.reason, inside.to_dict()["message"]) == (True, "ALL_CONDITIONS_MET", "All conditions met")
    assert inside.to_dict() == {"enabled": True, "reason": "ALL_CONDITIONS_MET", "message": "All conditions met"}


def test_no_environments_means_every_environment_and_edges_of_the_rollout():
    for environment in ("development", "staging", "production"):
        assert evaluate(rule(), environment, "anyone").enabled
    assert not any(evaluate(rule(rollout=0), "production", f"u{i}").enabled for i in range(200))
    assert all(evaluate(rule(rollout=100), "production", f"u{i}").enabled for i in range(200))
    # a full rollout needs no user at all; a partial one does
    assert evaluate(rule(), "production", None).enabled
    with pytest.raises(ValueError):
        evaluate(rule(rollout=50), "production", None)


def test_the_bucket_is_the_same_in_a_process_with_another_hash_seed():
    pairs = [(key, user) for key, user, _ in KNOWN_BUCKETS] + [("flag-x", f"user-{i}") for i in range(50)]
    code = ("import json, sys; from chalicelib.domain.evaluation import bucket; "
            "print(json.dumps([bucket(k, u) for k, u in json.loads(sys.argv[1])]))")
    results = set()
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code, json.dumps(pairs)], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True, timeout=60)
        results.add(out.stdout.strip())
    assert results == {json.dumps([bucket(k, u) for k, u in pairs])}


@settings(max_examples=300, deadline=None)
@given(key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=1, max_size=20),
       user=st.text(min_size=1, max_size=40),
       low=st.integers(0, 100), high=st.integers(0, 100))
def test_raising_the_percentage_never_turns_a_user_off(key, user, low, high):
    low, high = min(low, high), max(low, high)
    before = evaluate(rule(key=key, rollout=low), "production", user)
    after = evaluate(rule(key=key, rollout=high), "production", user)
    assert not (before.enabled and not after.enabled)
    assert 0 <= bucket(key, user) <= 99


def test_100_000_users_at_30_percent_land_within_one_point():
    flag = rule(key="uniformity", rollout=30)
    on = sum(evaluate(flag, "production", f"user-{i}").enabled for i in range(100_000))
    assert 29_000 <= on <= 31_000


def test_two_flags_at_50_percent_pick_different_halves():
    first, second = rule(key="flag-one", rollout=50), rule(key="flag-two", rollout=50)
    users = [f"user-{i}" for i in range(20_000)]
    agree = sum(evaluate(first, "production", u).enabled == evaluate(second, "production", u).enabled for u in users)
    assert 0.47 <= agree / len(users) <= 0.53  # independent halves agree about half the time, not always
