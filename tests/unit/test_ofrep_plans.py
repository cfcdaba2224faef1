"""The prepared OFREP plans answer exactly what the four rules and the documented reason mapping
say, for every kind of flag, environment and user (a plan precomputes everything but the bucket,
so a slip there would change answers without changing any bucket)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core.settings import ENVIRONMENTS
from chalicelib.domain import evaluation, ofrep
from chalicelib.domain.evaluation import FlagRule

STANDARD_REASON = {"FLAG_DISABLED": "DISABLED", "ENVIRONMENT_NOT_TARGETED": "DEFAULT"}


def expected(rule: FlagRule, environment: str, user: str | None) -> dict:
    """The answer as the module docstring of chalicelib.domain.ofrep states it, from evaluate()."""
    if rule.rollout_percentage < 100 and user is None:
        return {"key": rule.key, "errorCode": "TARGETING_KEY_MISSING"}
    result = evaluation.evaluate(rule, environment, user)
    reason = STANDARD_REASON.get(result.reason) or (
        "SPLIT" if rule.rollout_percentage < 100 else "TARGETING_MATCH" if rule.environments else "STATIC")
    return {"key": rule.key, "value": result.enabled, "variant": "on" if result.enabled else "off",
            "reason": reason, "metadata": {"reason_code": result.reason}}


def answered(rule: FlagRule, environment: str, user: str | None) -> dict:
    try:
        return ofrep.resolve(ofrep.plans_of(rule)[environment], user)
    except ofrep.OfrepError as error:
        assert error.status == 400
        return {"key": error.key, "errorCode": error.code}


@settings(max_examples=400, deadline=None)
@given(key=st.from_regex(r"[a-z][a-z0-9_.-]{0,20}", fullmatch=True), enabled=st.booleans(),
       environments=st.sets(st.sampled_from(ENVIRONMENTS)), rollout=st.integers(0, 100),
       environment=st.sampled_from(ENVIRONMENTS), user=st.none() | st.text(min_size=1, max_size=40))
def test_a_plan_answers_what_the_rules_say(key, enabled, environments, rollout, environment, user):
    rule = FlagRule(key=key, enabled=enabled, environments=frozenset(environments), rollout_percentage=rollout)
    assert answered(rule, environment, user) == expected(rule, environment, user)


@pytest.mark.parametrize(("user", "rollout", "reason_code"), [
    ("user-1", 48, "OUTSIDE_ROLLOUT"), ("user-1", 49, "ALL_CONDITIONS_MET"),
    ("user-2", 59, "OUTSIDE_ROLLOUT"), ("user-2", 60, "ALL_CONDITIONS_MET")])
def test_a_split_plan_is_exact_at_the_edge_of_the_pinned_buckets(user, rollout, reason_code):
    # new-checkout: user-1 is in bucket 48, user-2 in bucket 59 (tests/unit/test_flags_evaluation.py).
    rule = FlagRule(key="new-checkout", enabled=True, environments=frozenset(), rollout_percentage=rollout)
    answer = answered(rule, "production", user)
    assert (answer["value"], answer["reason"], answer["metadata"]["reason_code"]) == (
        reason_code == "ALL_CONDITIONS_MET", "SPLIT", reason_code)


def test_answers_are_new_dicts_each_time():
    plan = ofrep.plans_of(FlagRule(key="k", enabled=True, environments=frozenset(), rollout_percentage=100))["staging"]
    first = ofrep.resolve(plan, "u")
    first["value"] = "changed by a caller"
    assert ofrep.resolve(plan, "u")["value"] is True
