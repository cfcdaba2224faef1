"""The audit trail: who changed what. Entries are built here and written by the caller inside the
same transaction as the change they describe."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import EllipsisType
from typing import Any

from chalicelib.core import clock
from chalicelib.core.errors import Forbidden, ValidationFailed
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.domain.caller import Caller
from chalicelib.storage import audit as store
from chalicelib.storage.base import FILTERED_READ_LIMIT as FILTERED_READ_LIMIT  # re-exported: the API documents it

ACTIONS = (
    "auth.login", "auth.login_failed", "auth.password_change",
    "user.create", "user.update", "user.delete",
    "service.create", "service.update", "service.delete",
    "deployment.trigger", "deployment.cancel", "deployment.rollback",
    "flag.create", "flag.update", "flag.delete",
    "sdk_key.create", "sdk_key.delete", "alert.ack",
)
RESOURCE_TYPES = ("user", "service", "deployment", "flag", "sdk_key", "alert")
# Never written to the audit trail, whatever a caller passes in.
SECRET_FIELDS = frozenset({"password", "password_hash", "key", "key_hash", "token", "secret"})


def resource_type_of(action: str) -> str:
    prefix = action.split(".", 1)[0]
    return "user" if prefix == "auth" else prefix


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None,
         fields: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Field-level changes ``{field: {"from", "to"}}``; ``before`` is None on create and ``after``
    None on delete. Secret fields never appear."""
    before, after = before or {}, after or {}
    names = list(fields) if fields is not None else list(dict.fromkeys([*before, *after]))
    changes = {}
    for name in names:
        if name in SECRET_FIELDS:
            continue
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = {"from": old, "to": new}
    return changes


def entry(caller: Caller, action: str, resource_id: str | None, changes: dict | None = None, *,
          actor_id: str | None | EllipsisType = ..., actor_email: str | None | EllipsisType = ...) -> dict:
    """A new audit entry for ``action`` by ``caller`` (the actor may be overridden, e.g. a login;
    ``...``, the default, means the caller's own id or email, None means none)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action}")
    return {
        "id": clock.new_id(),
        "timestamp": clock.now_iso(),
        "actor_id": caller.id if actor_id is ... else actor_id,
        "actor_email": caller.email if actor_email is ... else actor_email,
        "action": action,
        "resource_type": resource_type_of(action),
        "resource_id": resource_id,
        "changes": changes or {},
        "request_id": caller.request_id,
        "source_ip": caller.source_ip,
    }


def record(transaction, caller: Caller, action: str, resource_id: str | None, changes: dict | None = None,
           **actor) -> None:
    """Add the audit entry of a change to the transaction that makes the change."""
    store.add(transaction, entry(caller, action, resource_id, changes, **actor))


def to_dict(record) -> dict:
    return {
        "id": record.id,
        "timestamp": record.timestamp,
        "actor_id": record.actor_id,
        "actor_email": record.actor_email,
        "action": record.action,
        "resource_type": record.resource_type,
        "resource_id": record.resource_id,
        "changes": record.changes or {},
        "request_id": record.request_id,
        "source_ip": record.source_ip,
    }


@dataclass(frozen=True)
class AuditFilter:
    actor_id: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    since: str | None = None
    until: str | None = None


def list_entries(caller: Caller, filters: AuditFilter, limit: int, cursor: str | None) -> dict:
    """Admins see everything; everyone else only entries they made themselves."""
    actor_id = filters.actor_id
    if not caller.is_admin:
        if actor_id is not None and actor_id != caller.id:
            raise Forbidden("only admins may read other users' audit entries")
        actor_id = caller.id
    if filters.since and filters.until and filters.since > filters.until:
        raise ValidationFailed.field("since", "since must not be after until")
    resource_type = filters.resource_type
    if filters.action is not None:
        action_type = resource_type_of(filters.action)
        if resource_type is not None and resource_type != action_type:
            return {"items": [], "next_cursor": None}
        resource_type = None  # implied by the action

    scope = f"audit|{caller.id if not caller.is_admin else '*'}|{actor_id}|{filters}"
    page = store.query(actor_id=actor_id, action=filters.action, resource_type=resource_type,
                       resource_id=filters.resource_id, since=filters.since, until=filters.until, limit=limit,
                       start_key=decode_cursor(scope, cursor))
    return {"items": [to_dict(r) for r in page.items], "next_cursor": encode_cursor(scope, page.last_key)}
