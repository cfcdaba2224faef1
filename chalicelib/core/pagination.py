"""Opaque, tamper-proof list cursors.

A cursor is the DynamoDB ``LastEvaluatedKey`` of a page, bound to the list (and filters) that
issued it and signed with a key derived from the platform secret. A forged, altered or foreign
cursor is a 400 naming ``cursor``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from chalicelib.core.errors import ValidationFailed
from chalicelib.core.security import derived_key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scope_digest(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def encode_cursor(scope: str, last_key: dict | None) -> str | None:
    if not last_key:
        return None
    payload = _b64(json.dumps({"s": _scope_digest(scope), "k": last_key}, separators=(",", ":"), sort_keys=True).encode())
    signature = _b64(hmac.new(derived_key("cursor"), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def decode_cursor(scope: str, cursor: str | None) -> dict | None:
    if cursor is None:
        return None
    invalid = ValidationFailed.field("cursor", "cursor is invalid or belongs to another list")
    if len(cursor) > 2048 or cursor.count(".") != 1:
        raise invalid
    payload, signature = cursor.split(".")
    expected = _b64(hmac.new(derived_key("cursor"), payload.encode(), hashlib.sha256).digest())
    # Compared as bytes: hmac.compare_digest raises TypeError on str with non-ASCII characters (a 500).
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise invalid
    try:
        data = json.loads(_unb64(payload))
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(data, dict) or data.get("s") != _scope_digest(scope) or not isinstance(data.get("k"), dict):
        raise invalid
    return data["k"]
