"""The service catalog: who owns what, unique names, and the rule that a service with an active
deployment cannot be deleted.

Every mutation is one DynamoDB transaction holding the service, its name claim, its tag index
items, any other condition it depends on, and its audit entry (``storage.services`` writes them).
The deployment engine writes ``active_slots``, ``health``, ``last_deployment`` and their
per-environment copies in its own transactions; the catalog never overwrites them (updates set
only the fields that changed)."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.core import clock
from chalicelib.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.settings import ENVIRONMENTS
from chalicelib.domain import alerts, audit, metrics
from chalicelib.domain.caller import Caller
from chalicelib.storage import base
from chalicelib.storage import services as store
from chalicelib.storage import users as user_store
from chalicelib.storage.base import FILTERED_READ_LIMIT as FILTERED_READ_LIMIT  # re-exported: the API documents it
from chalicelib.storage.base import TransactionCancelled

LIFECYCLES = ("experimental", "production", "deprecated")
# The environment whose active deployment a service reports, in order of preference.
SLOT_PREFERENCE = ("production", "staging", "development")
EDITABLE_FIELDS = ("name", "description", "repository_url", "lifecycle", "tier", "tags", "owner_id")
NULLABLE_FIELDS = ("repository_url", "tier")
LAST_DEPLOYMENT_FIELDS = ("id", "status", "version", "environment", "finished_at")


def active_deployment_id(slots: dict[str, str]) -> str | None:
    for environment in SLOT_PREFERENCE:
        if slots.get(environment):
            return slots[environment]
    return next(iter(sorted(slots.values())), None)


def _shape_last(last: dict | None) -> dict | None:
    if not last:
        return None
    return {name: last.get(name) for name in LAST_DEPLOYMENT_FIELDS}


def _last_deployment(record) -> dict | None:
    return _shape_last(store.last_deployment(record))


HEALTH_AFTER = {"SUCCESS": "healthy", "FAILED": "degraded"}


def environments(record) -> dict[str, dict]:
    """Each environment's slot, newest finished deployment and health, always all three. A service
    whose deployments all finished before these fields existed knows only its overall newest: that
    one is also its environment's newest, so it is shown there."""
    slots = store.active_slots(record)
    overall = _last_deployment(record)
    shaped = {}
    for environment in ENVIRONMENTS:
        last = _shape_last(store.last_deployment(record, environment))
        health = store.environment_health(record, environment)
        if last is None and overall is not None and overall["environment"] == environment:
            last = overall
            health = health or HEALTH_AFTER.get(overall["status"])
        shaped[environment] = {"active_deployment_id": slots.get(environment), "last_deployment": last,
                               "health": health or "unknown"}
    return shaped


def service_to_dict(record) -> dict:
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description or "",
        "repository_url": record.repository_url,
        "owner_id": record.owner_id,
        "lifecycle": record.lifecycle,
        "tier": int(record.tier) if record.tier is not None else None,
        "tags": list(record.tags or []),
        "health": record.health or "unknown",
        "active_deployment_id": active_deployment_id(store.active_slots(record)),
        "last_deployment": _last_deployment(record),
        "environments": environments(record),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "version": int(record.version),
    }


def _require_owner(owner_id: str) -> None:
    if user_store.get(owner_id) is None:
        raise ValidationFailed.field("owner_id", "no user with this id")


def _not_null(fields: dict) -> None:
    for name, value in fields.items():
        if value is None and name not in NULLABLE_FIELDS:
            raise ValidationFailed.field(name, "must not be null")


def create_service(caller: Caller, name: str, *, description: str = "", repository_url: str | None = None,
                   lifecycle: str = "experimental", tier: int | None = None, tags: list[str] | None = None,
                   owner_id: str | None = None) -> dict:
    """A developer creates services they own; an admin may name another (existing) owner."""
    owner = owner_id if owner_id is not None else caller.user_id
    if owner != caller.id:
        if not caller.is_admin:
            raise Forbidden("only admins may create a service for another owner")
        _require_owner(owner)
    now = clock.now_iso()
    service_id = clock.new_id()
    record = store.new_service(service_id, name=name, description=description, repository_url=repository_url,
                               owner_id=owner, lifecycle=lifecycle, tier=tier, tags=list(tags or []), now=now)
    after = service_to_dict(record)
    try:
        with base.transaction() as transaction:
            store.add(transaction, record)
            if owner != caller.id:
                store.require_owner(transaction, owner)
            audit.record(transaction, caller, "service.create", service_id, audit.diff(None, after))
            metrics.bump_daily(transaction, "services_registered")
            alerts.service_registered(transaction, service_id, name)
    except TransactionCancelled as cancelled:
        if "name" in cancelled.failed:
            raise Conflict(f"a service named {name} already exists") from None
        if "owner" in cancelled.failed:
            raise ValidationFailed.field("owner_id", "no user with this id") from None
        raise Conflict("the service could not be created because of a concurrent change; retry") from None
    metrics.count(metrics.SERVICE_REGISTERED)
    return after


def get_service(service_id: str) -> dict:
    record = store.get(service_id)
    if record is None:
        raise NotFound(f"service {service_id} not found")
    return service_to_dict(record)


def ensure_known(service_id: str):
    """For history reads (logs, deployments): the live service, or None when it was deleted.
    A service that never existed is a NotFound."""
    record = store.get(service_id)
    if record is not None:
        return record
    if store.was_deleted(service_id):
        return None
    raise NotFound(f"service {service_id} not found")


def list_services(limit: int, cursor: str | None, *, owner_id: str | None = None, lifecycle: str | None = None,
                  tag: str | None = None, name: str | None = None) -> dict:
    """Newest first, filters combined, each served from a key (``storage.services.query`` picks
    which; pages are still filled: see ``storage.base.query_page``)."""
    scope = "services|" + json.dumps({"owner_id": owner_id, "lifecycle": lifecycle, "tag": tag, "name": name},
                                     sort_keys=True)
    start_key = decode_cursor(scope, cursor)  # a name list issues no cursor, so any cursor is refused there
    page = store.query(limit, start_key, owner_id=owner_id, lifecycle=lifecycle, tag=tag, name=name)
    return {"items": [service_to_dict(r) for r in page.items], "next_cursor": encode_cursor(scope, page.last_key)}


def check_may_change(caller: Caller, service_id: str, owner_id: str, version: int, expected_version: int | None) -> None:
    """Only the owner or an admin changes a service, and only the version they read."""
    if not caller.is_admin and owner_id != caller.id:
        raise Forbidden("only the service's owner or an admin may change it")
    if expected_version is not None and expected_version != version:
        raise Conflict(f"service {service_id} is at version {version}, not {expected_version}")


def _load_for_write(caller: Caller, service_id: str, expected_version: int | None):
    record = store.get(service_id)
    if record is None:
        raise NotFound(f"service {service_id} not found")
    check_may_change(caller, service_id, record.owner_id, int(record.version), expected_version)
    return record


def update_service(caller: Caller, service_id: str, *, version: int | None = None, **fields: Any) -> dict:
    """Partial update of the catalog fields given in ``fields`` (``repository_url`` and ``tier``
    may be set to None to clear them). A rename swaps the name guard in the same transaction."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    _not_null(fields)
    record = _load_for_write(caller, service_id, version)
    if "owner_id" in fields and fields["owner_id"] != caller.id and not caller.is_admin:
        raise Forbidden("only admins may change a service's owner")
    before = service_to_dict(record)
    changes = {name: value for name, value in fields.items() if value != before[name]}
    if "tags" in changes:
        changes["tags"] = list(changes["tags"])
    if not changes:
        return before
    if "owner_id" in changes:
        _require_owner(changes["owner_id"])
    now = clock.now_iso()
    after = {**before, **changes, "updated_at": now, "version": before["version"] + 1}
    try:
        with base.transaction() as transaction:
            store.update_fields(transaction, record, changes, now)
            if "owner_id" in changes:
                store.require_owner(transaction, changes["owner_id"])
            audit.record(transaction, caller, "service.update", service_id, audit.diff(before, after, EDITABLE_FIELDS))
    except TransactionCancelled as cancelled:
        if "name" in cancelled.failed:
            raise Conflict(f"a service named {changes['name']} already exists") from None
        if "owner" in cancelled.failed:
            raise ValidationFailed.field("owner_id", "no user with this id") from None
        raise _concurrent(service_id) from None
    return after


def delete_service(caller: Caller, service_id: str) -> None:
    """Refused (409) while any environment's deployment slot is held; the condition sits on the
    delete itself, so a deployment triggered at the same moment either lands first (and the delete
    is refused) or finds the service gone. Deployments, logs and audit entries stay; the name is
    freed; a tombstone keeps the id known as "deleted" for history reads."""
    record = _load_for_write(caller, service_id, None)
    if store.active_slots(record):
        raise Conflict(f"service {service_id} has an active deployment")
    before = service_to_dict(record)
    try:
        with base.transaction() as transaction:
            store.delete(transaction, record)
            audit.record(transaction, caller, "service.delete", service_id, audit.diff(before, None))
    except TransactionCancelled:
        raise _concurrent(service_id, deleting=True) from None


def _concurrent(service_id: str, *, deleting: bool = False) -> Exception:
    """Why a conditional write on a service failed, judged from its current state."""
    current = store.get(service_id)
    if current is None:
        return NotFound(f"service {service_id} not found")
    if deleting and store.active_slots(current):
        return Conflict(f"service {service_id} has an active deployment")
    return Conflict(f"service {service_id} was changed concurrently; reload and retry")
