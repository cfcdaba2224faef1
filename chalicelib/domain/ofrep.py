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

from chalicelib.core.errors import Forbidden
from chalicelib.core.settings import ENVIRONMENTS
from chalicelib.domain import evaluation, metrics
from chalicelib.domain.caller import Caller
from chalicelib.domain.evaluation import FlagRule
from chalicelib.domain.flags import cache, is_valid_key

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


class Context(NamedTuple):
    """Who is evaluated where (immutable; a tuple because one is made per evaluation request and a
    frozen dataclass takes several times longer to build)."""

    environment: str
    targeting_key: str | None


def resolve_context(caller: Caller, environment: str | None, targeting_key: str | None) -> Context:
    """The environment to evaluate in: an SDK key's own, or with a user token the one the context
    names. (The body's shape is the API's to check: ``chalicelib.api.ofrep``.)"""
    if caller.kind == "sdk_key":
        own = caller.environment
        if own is None or environment is not None and environment != own:
            raise Forbidden(f"this SDK key evaluates in {own} only")
        return Context(environment=own, targeting_key=targeting_key or None)
    if environment is None:
        raise OfrepError(400, INVALID_CONTEXT, "context.environment is required with a user token "
                                               f"(one of {', '.join(ENVIRONMENTS)})")
    elif environment not in ENVIRONMENTS:
        raise OfrepError(400, INVALID_CONTEXT, f"context.environment must be one of {', '.join(ENVIRONMENTS)}")
    return Context(environment=environment, targeting_key=targeting_key or None)


def resolve(rule: FlagRule, context: Context) -> dict:
    """One flag for one context. The standard reason: our FLAG_DISABLED is DISABLED, our
    ENVIRONMENT_NOT_TARGETED is DEFAULT, else SPLIT below 100 %, TARGETING_MATCH with an environment
    list, STATIC without. Written out in one function: it runs once per flag of every evaluation."""
    environment, user_id = context
    partial = rule.rollout_percentage < 100
    if partial and user_id is None:
        raise OfrepError(400, TARGETING_KEY_MISSING,
                         f"flag {rule.key} rolls out to {rule.rollout_percentage}% of users: "
                         "send context.targetingKey (the user id)", rule.key)
    result = evaluation.evaluate(rule, environment, user_id)
    ours = result.reason
    if ours == evaluation.FLAG_DISABLED:
        reason = DISABLED
    elif ours == evaluation.ENVIRONMENT_NOT_TARGETED:
        reason = DEFAULT
    else:
        reason = SPLIT if partial else TARGETING_MATCH if rule.environments else STATIC
    enabled = result.enabled
    return {"key": rule.key, "value": enabled, "variant": "on" if enabled else "off", "reason": reason,
            "metadata": {"reason_code": ours}}


def evaluate_flag(context: Context, key: str) -> dict:
    """One flag; raises OfrepError."""
    rule = cache.snapshot().rules.get(key) if is_valid_key(key) else None
    if rule is None:
        raise OfrepError(404, FLAG_NOT_FOUND, f"flag {key[:128]} not found", key)
    resolved = resolve(rule, context)
    metrics.count(metrics.FLAG_EVALUATED)
    return resolved


def evaluate_all(context: Context) -> dict:
    """Every flag, sorted by key; a flag that cannot be evaluated for this context is listed as
    ``{key, errorCode, errorDetails}``."""
    snapshot = cache.snapshot()
    flags = []
    for key in snapshot.keys:
        try:
            flags.append(resolve(snapshot.rules[key], context))
        except OfrepError as error:
            flags.append(error.to_dict())
    if flags:
        metrics.count(metrics.FLAG_EVALUATED, len(flags))
    return {"flags": flags}
