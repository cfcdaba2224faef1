"""Ids are UUIDs: the one place that reads one from outside (a path, a query, a body)."""
from __future__ import annotations

import uuid

from chalicelib.core.errors import NotFound


def canonical(value: object) -> str | None:
    """The canonical lower-case form of a UUID written in that form (any case), else None: braces,
    URNs and hex without hyphens name nothing, so one resource has one spelling."""
    if not isinstance(value, str):
        return None
    try:
        parsed = str(uuid.UUID(value))
    except ValueError:
        return None
    return parsed if parsed == value.lower() else None


def require(value: object, resource: str) -> str:
    """The canonical id, or a 404: what is not an id cannot name a resource."""
    found = canonical(value)
    if found is None:
        raise NotFound(f"{resource} {str(value)[:64]!r} not found")
    return found
