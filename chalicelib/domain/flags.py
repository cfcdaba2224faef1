"""Feature flags: management (create, list, get, update, delete, each audited in the same
transaction) and evaluation through a per-instance cache of every flag definition.

The cache holds an immutable snapshot of all flags for ``IDP_FLAG_CACHE_SECONDS``; a warm
evaluation reads only that snapshot (no DynamoDB call, and an unknown key costs nothing either).
A write through this instance applies itself to the snapshot at once, so a kill switch flipped
here takes effect here on the next request; other instances follow within the TTL.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from chalicelib.core import clock
from chalicelib.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.settings import ENVIRONMENTS, get_settings
from chalicelib.domain import audit, evaluation, metrics
from chalicelib.domain.caller import Caller
from chalicelib.domain.evaluation import FlagRule
from chalicelib.storage import base
from chalicelib.storage import flags as store
from chalicelib.storage.base import TransactionCancelled

KEY_PATTERN = r"^[a-z][a-z0-9_.-]{0,127}$"
_KEY = re.compile(KEY_PATTERN)
# POST /flags/evaluate shadows a flag called "evaluate" on GET/PATCH/DELETE /flags/{key} (API
# Gateway and chalice local match the literal path first), so that key is refused.
RESERVED_KEYS = frozenset({"evaluate"})
EDITABLE_FIELDS = ("description", "enabled", "environments", "rollout_percentage")
AUDITED_FIELDS = ("key", *EDITABLE_FIELDS, "created_by", "created_at", "updated_at", "version")


def is_valid_key(key: str) -> bool:
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def canonical_environments(environments) -> list[str]:
    """Environments without duplicates, in the platform's order (development, staging, production),
    so that the same set is always stored, compared and audited the same way."""
    wanted = set(environments or ())
    unknown = wanted - set(ENVIRONMENTS)
    if unknown:
        raise ValidationFailed.field("environments", f"unknown environment(s): {', '.join(sorted(unknown))}")
    return [name for name in ENVIRONMENTS if name in wanted]


def flag_to_dict(record) -> dict:
    return {
        "key": record.key,
        "description": record.description or "",
        "enabled": bool(record.enabled),
        "environments": list(record.environments or []),
        "rollout_percentage": int(record.rollout_percentage),
        "created_by": record.created_by,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "version": int(record.version),
    }


def rule_of(flag) -> FlagRule:
    """The evaluation rule of a flag, given as its answer (a dict) or as stored."""
    if not isinstance(flag, dict):
        flag = flag_to_dict(flag)
    return FlagRule(key=flag["key"], enabled=flag["enabled"], environments=frozenset(flag["environments"]),
                    rollout_percentage=flag["rollout_percentage"])


# --------------------------------------------------------------------------------------------
# The per-instance cache


@dataclass(frozen=True)
class Snapshot:
    rules: dict[str, FlagRule]
    keys: tuple[str, ...]  # sorted, for "every flag" answers in a stable order
    expires: float


class FlagCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._generation = 0  # bumped by every local write, so a load racing a write is not kept

    def snapshot(self) -> Snapshot:
        current = self._snapshot
        if current is not None and current.expires > time.monotonic():
            return current
        ttl = get_settings().flag_cache_seconds
        generation = self._generation
        rules = {record.key: rule_of(record) for record in store.all_flags()}
        loaded = Snapshot(rules=rules, keys=tuple(sorted(rules)), expires=time.monotonic() + ttl)
        if ttl > 0:
            with self._lock:
                if generation == self._generation:
                    self._snapshot = loaded
        return loaded

    def apply(self, key: str, rule: FlagRule | None) -> None:
        """A write made through this instance: put (or, with None, remove) the flag at once."""
        with self._lock:
            self._generation += 1
            current = self._snapshot
            if current is None:
                return
            rules = dict(current.rules)
            if rule is None:
                rules.pop(key, None)
            else:
                rules[key] = rule
            self._snapshot = Snapshot(rules=rules, keys=tuple(sorted(rules)), expires=current.expires)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._snapshot = None


cache = FlagCache()


# --------------------------------------------------------------------------------------------
# Management


def _check_key(key: str) -> None:
    if not is_valid_key(key):
        raise ValidationFailed.field("key", f"must match {KEY_PATTERN}")
    if key in RESERVED_KEYS:
        raise ValidationFailed.field("key", f"{key!r} is reserved")


def _check_percentage(value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationFailed.field("rollout_percentage", "must be an integer from 0 to 100")


def create_flag(caller: Caller, key: str, *, description: str = "", enabled: bool = False,
                environments: list[str] | None = None, rollout_percentage: int = 100) -> dict:
    _check_key(key)
    _check_percentage(rollout_percentage)
    now = clock.now_iso()
    record = store.new_flag(key, description=description or "", enabled=bool(enabled),
                            environments=canonical_environments(environments), rollout_percentage=rollout_percentage,
                            created_by=caller.id, now=now)
    after = flag_to_dict(record)
    try:
        with base.transaction() as transaction:
            store.add(transaction, record)
            audit.record(transaction, caller, "flag.create", key, audit.diff(None, after, AUDITED_FIELDS))
            metrics.bump_daily(transaction, "flags_created")
    except TransactionCancelled as cancelled:
        if "flag" in cancelled.failed:
            raise Conflict(f"a flag with key {key} already exists") from None
        raise
    cache.apply(key, rule_of(after))
    metrics.count(metrics.FLAG_CREATED)
    return after


def _load(key: str):
    record = store.get(key) if is_valid_key(key) else None
    if record is None:
        raise NotFound(f"flag {key[:128]!r} not found")
    return record


def get_flag(key: str) -> dict:
    return flag_to_dict(_load(key))


def list_flags(limit: int, cursor: str | None) -> dict:
    page = store.list_page(limit, decode_cursor("flags", cursor))
    return {"items": [flag_to_dict(r) for r in page.items], "next_cursor": encode_cursor("flags", page.last_key)}


def update_flag(caller: Caller, key: str, *, description: str | None = None, enabled: bool | None = None,
                environments: list[str] | None = None, rollout_percentage: int | None = None,
                version: int | None = None) -> dict:
    record = _load(key)
    if version is not None and version != record.version:
        raise Conflict(f"flag {key} is at version {record.version}, not {version}")
    before = flag_to_dict(record)
    wanted: dict = {"description": description, "enabled": enabled, "rollout_percentage": rollout_percentage,
                    "environments": canonical_environments(environments) if environments is not None else None}
    if rollout_percentage is not None:
        _check_percentage(rollout_percentage)
    changes = {name: value for name, value in wanted.items() if value is not None and value != before[name]}
    if not changes:
        return before
    now = clock.now_iso()
    after = {**before, **changes, "updated_at": now, "version": before["version"] + 1}
    try:
        with base.transaction() as transaction:
            store.update_fields(transaction, record, changes, now)
            audit.record(transaction, caller, "flag.update", key, audit.diff(before, after, EDITABLE_FIELDS))
            metrics.bump_daily(transaction, "flags_changed")
    except TransactionCancelled:
        raise Conflict(f"flag {key} was changed or deleted concurrently; reload and retry") from None
    cache.apply(key, rule_of(after))
    metrics.count(metrics.FLAG_CHANGED)
    return after


def delete_flag(caller: Caller, key: str) -> None:
    record = _load(key)
    before = flag_to_dict(record)
    try:
        with base.transaction() as transaction:
            store.delete(transaction, record)
            audit.record(transaction, caller, "flag.delete", key, audit.diff(before, None, AUDITED_FIELDS))
    except TransactionCancelled:
        raise Conflict(f"flag {key} was changed or deleted concurrently; reload and retry") from None
    cache.apply(key, None)


# --------------------------------------------------------------------------------------------
# Evaluation (native API)


def environment_for(caller: Caller, named: str | None) -> str:
    """The environment to evaluate in: an SDK key's own (naming another one is forbidden), or the
    one a user names (required)."""
    if caller.kind == "sdk_key":
        own = caller.key_environment
        if named is not None and named != own:
            raise Forbidden(f"this SDK key evaluates in {own} only")
        return own
    if named is None:
        raise ValidationFailed.field("environment", "required")
    if named not in ENVIRONMENTS:
        raise ValidationFailed.field("environment", f"must be one of {', '.join(ENVIRONMENTS)}")
    return named


def evaluate_flag(caller: Caller, key: str, environment: str | None, user_id: str) -> dict:
    env = environment_for(caller, environment)
    rule = cache.snapshot().rules.get(key)
    if rule is None:
        raise NotFound(f"flag {key[:128]!r} not found")
    return {"key": key, **evaluation.evaluate(rule, env, user_id).to_dict()}


def evaluate_flags(caller: Caller, environment: str | None, user_id: str, keys: list[str] | None) -> dict:
    env = environment_for(caller, environment)
    snapshot = cache.snapshot()
    wanted = snapshot.keys if keys is None else list(dict.fromkeys(keys))
    results, not_found = {}, []
    for key in wanted:
        rule = snapshot.rules.get(key)
        if rule is None:
            not_found.append(key)
        else:
            results[key] = evaluation.evaluate(rule, env, user_id).to_dict()
    return {"flags": results, "not_found": not_found}
