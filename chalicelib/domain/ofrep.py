"""OpenFeature Remote Evaluation Protocol (OFREP) over our flags.

A request is ``{"context": {"targetingKey": <user id>, "environment": <env>, ...}}`` (``context``
may be absent: an empty context). The environment is the SDK key's own (naming another one is a
403, as everywhere), or with a user token ``context.environment`` (missing or unknown: 400
``INVALID_CONTEXT``). Every success carries ``key``, a boolean ``value``, ``variant`` ``"on"`` or
``"off"``, a standard ``reason`` and ``metadata.reason_code`` with our own reason:

- our ``FLAG_DISABLED``                       → ``DISABLED``
- our ``ENVIRONMENT_NOT_TARGETED``            → ``DEFAULT``
- rollout below 100 (in or out)               → ``SPLIT``
- rollout 100 with an environment list        → ``TARGETING_MATCH``
- rollout 100 and every environment           → ``STATIC``

A flag with a rollout below 100 needs ``targetingKey`` whatever its current state (400
``TARGETING_KEY_MISSING``; a per-flag error in the bulk list): a client that forgets it fails the
day it is written, not the day someone switches the flag on.
"""
from __future__ import annotations

from typing import NamedTuple

from chalicelib.core.settings import ENVIRONMENTS
from chalicelib.domain import evaluation
from chalicelib.domain.caller import Caller
from chalicelib.domain.evaluation import FlagRule, rule_bucket
from chalicelib.domain.flags import Snapshot, cache, environment_for

PARSE_ERROR = "PARSE_ERROR"
INVALID_CONTEXT = "INVALID_CONTEXT"
TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"
FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
GENERAL = "GENERAL"
ERROR_CODES = (PARSE_ERROR, INVALID_CONTEXT, TARGETING_KEY_MISSING, FLAG_NOT_FOUND, GENERAL)

DISABLED = "DISABLED"
DEFAULT = "DEFAULT"
SPLIT = "SPLIT"
TARGETING_MATCH = "TARGETING_MATCH"
STATIC = "STATIC"
REASONS = (DISABLED, DEFAULT, SPLIT, TARGETING_MATCH, STATIC)

MAX_TARGETING_KEY = 256


class OfrepError(Exception):
    """An evaluation error in OFREP's own shape; ``status`` is the HTTP status it is answered with."""

    def __init__(self, status: int, code: str, details: str, key: str | None = None):
        super().__init__(details)
        self.status = status
        self.code = code
        self.details = details
        self.key = key

    def to_dict(self) -> dict:
        body = {"key": self.key} if self.key is not None else {}
        return {**body, "errorCode": self.code, "errorDetails": self.details}


# Who is evaluated where: (environment, targeting key or None). A plain tuple: one is made per
# evaluation request, and a named tuple takes several times longer to build.
Context = tuple[str, str | None]


def resolve_context(caller: Caller, environment: str | None, targeting_key: str | None) -> Context:
    """The environment to evaluate in: an SDK key's own, or with a user token the one the context
    names. (The body's shape is the API's to check: ``chalicelib.api.ofrep``.)"""
    if caller.kind == "sdk_key":
        return environment_for(caller, environment), targeting_key or None
    if environment is None:
        raise OfrepError(400, INVALID_CONTEXT, "context.environment is required with a user token "
                                               f"(one of {', '.join(ENVIRONMENTS)})")
    elif environment not in ENVIRONMENTS:
        raise OfrepError(400, INVALID_CONTEXT, f"context.environment must be one of {', '.join(ENVIRONMENTS)}")
    return environment, targeting_key or None


class Plan(NamedTuple):
    """One flag in one environment, prepared once per cache snapshot: everything but the user's
    bucket is known, so an evaluation is a hash and the choice between two ready answers."""

    rule: FlagRule | None  # when the user's bucket decides; else None
    percentage: int
    inside: dict  # the answer in the rollout, or the only one when no bucket decides
    outside: dict
    needs_user: str | None  # a rollout below 100: the TARGETING_KEY_MISSING details without a user


def _answer(rule: FlagRule, result: evaluation.Result) -> dict:
    """The OFREP success for a result. The standard reason: our FLAG_DISABLED is DISABLED, our
    ENVIRONMENT_NOT_TARGETED is DEFAULT, else SPLIT below 100 %, TARGETING_MATCH with an environment
    list, STATIC without."""
    ours = result.reason
    if ours == evaluation.FLAG_DISABLED:
        reason = DISABLED
    elif ours == evaluation.ENVIRONMENT_NOT_TARGETED:
        reason = DEFAULT
    else:
        reason = SPLIT if rule.rollout_percentage < 100 else TARGETING_MATCH if rule.environments else STATIC
    return {"key": rule.key, "value": result.enabled, "variant": "on" if result.enabled else "off",
            "reason": reason, "metadata": {"reason_code": ours}}


def plans_of(rule: FlagRule) -> dict[str, Plan]:
    """The flag's plan in every environment."""
    needs_user = None
    if rule.rollout_percentage < 100:
        needs_user = (f"flag {rule.key} rolls out to {rule.rollout_percentage}% of users: "
                      "send context.targetingKey (the user id)")
    inside, outside = evaluation.split_results()
    split = Plan(rule, rule.rollout_percentage, _answer(rule, inside), _answer(rule, outside), needs_user)
    plans = {}
    for environment in ENVIRONMENTS:
        fixed = evaluation.fixed_result(rule, environment)
        if fixed is None:
            plans[environment] = split
        else:
            answer = _answer(rule, fixed)
            plans[environment] = Plan(None, rule.rollout_percentage, answer, answer, needs_user)
    return plans


# The plans made from the current snapshot, per flag key, each made on the flag's first evaluation
# (a snapshot never changes: a new one replaces it, and starts a new dict).
_prepared: tuple[Snapshot | None, dict[str, dict[str, Plan]]] = (None, {})


def _flag_plans(snapshot: Snapshot, key: str) -> dict[str, Plan] | None:
    """The flag's plans by environment; None for a key that names no flag."""
    global _prepared
    made_from, plans = _prepared
    if made_from is not snapshot:
        plans = {}
        _prepared = (snapshot, plans)
    flag = plans.get(key)
    if flag is None:
        rule = snapshot.rules.get(key)
        if rule is None:
            return None
        flag = plans[key] = plans_of(rule)
    return flag


def resolve(plan: Plan, user_id: str | None) -> dict:
    """One flag for one user; raises OfrepError. A new dict each time (its ``metadata`` is shared by
    every answer of the plan: read it only)."""
    rule, percentage, inside, outside, needs_user = plan
    if user_id is None:
        if needs_user is not None:
            raise OfrepError(400, TARGETING_KEY_MISSING, needs_user, inside["key"])
        return inside.copy()
    if rule is None:
        return inside.copy()
    return (inside if rule_bucket(rule, user_id) < percentage else outside).copy()


def evaluate_flag(context: Context, key: str) -> dict:
    """One flag; raises OfrepError. (The request counts the evaluation: ``chalicelib.api.ofrep``.)"""
    flag = _flag_plans(cache.snapshot(), key)
    if flag is None:
        raise OfrepError(404, FLAG_NOT_FOUND, f"flag {key[:128]} not found", key)
    return resolve(flag[context[0]], context[1])


def evaluate_all(context: Context) -> dict:
    """Every flag, sorted by key; a flag that cannot be evaluated for this context is listed as
    ``{key, errorCode, errorDetails}``."""
    environment, user_id = context
    snapshot = cache.snapshot()
    flags = []
    for key in snapshot.keys:
        plans = _flag_plans(snapshot, key)
        assert plans is not None  # snapshot.keys are the keys of snapshot.rules
        try:
            flags.append(resolve(plans[environment], user_id))
        except OfrepError as error:
            flags.append(error.to_dict())
    return {"flags": flags}
