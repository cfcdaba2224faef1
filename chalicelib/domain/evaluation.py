"""Flag evaluation: pure functions, no I/O, no clock, no randomness.

The rules, in this order:

1. not ``enabled``                                   → off, ``FLAG_DISABLED``
2. ``environments`` not empty and the environment not in it → off, ``ENVIRONMENT_NOT_TARGETED``
3. ``rollout_percentage`` < 100 and the user's bucket ≥ the percentage → off, ``OUTSIDE_ROLLOUT``
4. otherwise                                          → on, ``ALL_CONDITIONS_MET``

The bucket (0 to 99) is ``int.from_bytes(sha256("<flag key>:<user id>")[:8], "big") % 100`` over the
UTF-8 bytes. SHA-256 is the same on every machine and in every process (unlike Python's
``hash()``), its first 64 bits are uniform enough that the modulo bias is below 1e-17, and the
flag key in the input makes two flags pick independent sets of users. A user is in the rollout
when ``bucket < percentage``, so raising the percentage never drops a user who was in. Never change
this function: every user would flip. ``tests/unit/test_flags_evaluation.py`` pins known vectors.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

FLAG_DISABLED = "FLAG_DISABLED"
ENVIRONMENT_NOT_TARGETED = "ENVIRONMENT_NOT_TARGETED"
OUTSIDE_ROLLOUT = "OUTSIDE_ROLLOUT"
ALL_CONDITIONS_MET = "ALL_CONDITIONS_MET"

MESSAGES = {
    FLAG_DISABLED: "Flag is disabled",
    ENVIRONMENT_NOT_TARGETED: "Environment not in rollout",
    OUTSIDE_ROLLOUT: "User not in rollout percentage",
    ALL_CONDITIONS_MET: "All conditions met",
}
REASONS = tuple(MESSAGES)


@dataclass(frozen=True, slots=True)
class FlagRule:
    """What evaluation needs of a flag (the cached, immutable form of a flag definition)."""

    key: str
    enabled: bool
    environments: frozenset[str]  # empty: every environment
    rollout_percentage: int
    # SHA-256 with "<key>:" already fed in, made once per rule: a bucket copies it and feeds the
    # user id, which gives the same digest as hashing "<key>:<user id>" at once.
    bucket_hash: hashlib._Hash = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bucket_hash", hashlib.sha256(f"{self.key}:".encode()))


@dataclass(frozen=True, slots=True)
class Result:
    enabled: bool
    reason: str

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "reason": self.reason, "message": MESSAGES[self.reason]}


_DISABLED = Result(False, FLAG_DISABLED)
_NOT_TARGETED = Result(False, ENVIRONMENT_NOT_TARGETED)
_OUTSIDE = Result(False, OUTSIDE_ROLLOUT)
_ON = Result(True, ALL_CONDITIONS_MET)


_sha256 = hashlib.sha256
# The digest's first 8 bytes as a big-endian unsigned integer, read in place: the same number as
# int.from_bytes(digest[:8], "big") without copying the slice.
first_64_bits = struct.Struct(">Q").unpack_from


def bucket(flag_key: str, user_id: str) -> int:
    """The user's stable bucket for this flag, 0 to 99."""
    return first_64_bits(_sha256(f"{flag_key}:{user_id}".encode()).digest())[0] % 100


def rule_bucket(rule: FlagRule, user_id: str) -> int:
    """``bucket(rule.key, user_id)`` from the rule's prepared hash: the hot path of every evaluation."""
    hashed = rule.bucket_hash.copy()
    hashed.update(user_id.encode())
    return first_64_bits(hashed.digest())[0] % 100


def fixed_result(rule: FlagRule, environment: str) -> Result | None:
    """The result of rules 1, 2 and 4 when no bucket is needed; None when the user's bucket decides
    (a partial rollout in a targeted environment)."""
    if not rule.enabled:
        return _DISABLED
    if rule.environments and environment not in rule.environments:
        return _NOT_TARGETED
    if rule.rollout_percentage < 100:
        return None
    return _ON


def split_results() -> tuple[Result, Result]:
    """The results a bucket chooses between: (in the rollout, outside it)."""
    return _ON, _OUTSIDE


def evaluate(rule: FlagRule, environment: str, user_id: str | None) -> Result:
    """Apply the four rules in order. ``user_id`` may be None only when the rollout is 100 % (or an
    earlier rule decides); asking for a bucket without a user is a programming error."""
    fixed = fixed_result(rule, environment)
    if fixed is not None:
        return fixed
    if user_id is None:
        raise ValueError(f"flag {rule.key} has a partial rollout: a user id is needed")
    return _ON if rule_bucket(rule, user_id) < rule.rollout_percentage else _OUTSIDE
