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


def parse_context(caller: Caller, body) -> Context:
    if not isinstance(body, dict):
        raise OfrepError(400, PARSE_ERROR, "the body must be a JSON object: {\"context\": {...}}")
    context = body.get("context")
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise OfrepError(400, INVALID_CONTEXT, "context must be a JSON object")
    targeting_key = context.get("targetingKey")
    if targeting_key is not None and not isinstance(targeting_key, str):
        raise OfrepError(400, INVALID_CONTEXT, "context.targetingKey must be a string")
    if targeting_key is not None and len(targeting_key) > MAX_TARGETING_KEY:
        raise OfrepError(400, INVALID_CONTEXT, f"context.targetingKey is longer than {MAX_TARGETING_KEY} characters")
    environment = context.get("environment")
    if environment is not None and not isinstance(environment, str):
        raise OfrepError(400, INVALID_CONTEXT, "context.environment must be a string")
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


def evaluate_flag(caller: Caller, key: str, body) -> dict:
    """One flag; raises OfrepError (with the key) or Forbidden."""
    try:
        context = parse_context(caller, body)
    except OfrepError as error:
        error.key = key
        raise
    rule = cache.snapshot().rules.get(key) if is_valid_key(key) else None
    if rule is None:
        raise OfrepError(404, FLAG_NOT_FOUND, f"flag {key[:128]} not found", key)
    resolved = resolve(rule, context)
    metrics.count(metrics.FLAG_EVALUATED)
    return resolved


def evaluate_all(caller: Caller, body) -> dict:
    """Every flag, sorted by key; a flag that cannot be evaluated for this context is listed as
    ``{key, errorCode, errorDetails}``. Request-level errors raise OfrepError (no key)."""
    context = parse_context(caller, body)
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
