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

from dataclasses import dataclass

from chalicelib.core.errors import Forbidden
from chalicelib.core.settings import ENVIRONMENTS
from chalicelib.domain import evaluation, metrics
from chalicelib.domain.caller import Caller
from chalicelib.domain.evaluation import FlagRule, Result
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


@dataclass(frozen=True)
class Context:
    environment: str
    targeting_key: str | None


def resolve_context(caller: Caller, environment: str | None, targeting_key: str | None) -> Context:
    """The environment to evaluate in: an SDK key's own, or with a user token the one the context
    names. (The body's shape is the API's to check: ``chalicelib.api.ofrep``.)"""
    if caller.kind == "sdk_key":
        if environment is not None and environment != caller.environment:
            raise Forbidden(f"this SDK key evaluates in {caller.environment} only")
        environment = caller.environment
    elif environment is None:
        raise OfrepError(400, INVALID_CONTEXT, "context.environment is required with a user token "
                                               f"(one of {', '.join(ENVIRONMENTS)})")
    elif environment not in ENVIRONMENTS:
        raise OfrepError(400, INVALID_CONTEXT, f"context.environment must be one of {', '.join(ENVIRONMENTS)}")
    return Context(environment=environment, targeting_key=targeting_key or None)


def standard_reason(rule: FlagRule, result: Result) -> str:
    if result.reason == evaluation.FLAG_DISABLED:
        return DISABLED
    if result.reason == evaluation.ENVIRONMENT_NOT_TARGETED:
        return DEFAULT
    if rule.rollout_percentage < 100:
        return SPLIT
    return TARGETING_MATCH if rule.environments else STATIC


def resolve(rule: FlagRule, context: Context) -> dict:
    if evaluation.needs_user(rule) and context.targeting_key is None:
        raise OfrepError(400, TARGETING_KEY_MISSING,
                         f"flag {rule.key} rolls out to {rule.rollout_percentage}% of users: "
                         "send context.targetingKey (the user id)", rule.key)
    result = evaluation.evaluate(rule, context.environment, context.targeting_key)
    return {
        "key": rule.key,
        "value": result.enabled,
        "variant": "on" if result.enabled else "off",
        "reason": standard_reason(rule, result),
        "metadata": {"reason_code": result.reason},
    }


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
