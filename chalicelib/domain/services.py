"""The service catalog: who owns what, unique names, and the rule that a service with an active
deployment cannot be deleted.

Every mutation is one DynamoDB transaction holding the service, its name guard (a
``UniqueRecord``), its tag index items (``ServiceTagRecord``), any other condition it depends on,
and its audit entry. The deployment engine writes ``active_slots``, ``health``, ``last_deployment``
and their per-environment copies in its own transactions; the catalog never overwrites them
(updates set only the fields that changed)."""
from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import MapAttribute
from pynamodb.expressions.condition import size

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
from chalicelib.storage.services import ServiceRecord
from chalicelib.storage.users import UniqueRecord, UserRecord

LIFECYCLES = ("experimental", "production", "deprecated")
# The environment whose active deployment a service reports, in order of preference.
SLOT_PREFERENCE = ("production", "staging", "development")
EDITABLE_FIELDS = ("name", "description", "repository_url", "lifecycle", "tier", "tags", "owner_id")
NULLABLE_FIELDS = ("repository_url", "tier")
LAST_DEPLOYMENT_FIELDS = ("id", "status", "version", "environment", "finished_at")


def _plain(value: Any) -> dict | None:
    if value is None:
        return None
    if isinstance(value, MapAttribute):
        return value.as_dict()
    return dict(value)


def active_slots(record: ServiceRecord) -> dict[str, str]:
    """environment -> deployment id, only the slots that are held."""
    return {env: dep for env, dep in (_plain(record.active_slots) or {}).items() if dep}


def active_deployment_id(slots: dict[str, str]) -> str | None:
    for environment in SLOT_PREFERENCE:
        if slots.get(environment):
            return slots[environment]
    return next(iter(sorted(slots.values())), None)


def _shape_last(value: Any) -> dict | None:
    last = _plain(value)
    if not last:
        return None
    return {name: last.get(name) for name in LAST_DEPLOYMENT_FIELDS}


def _last_deployment(record: ServiceRecord) -> dict | None:
    return _shape_last(record.last_deployment)


HEALTH_AFTER = {"SUCCESS": "healthy", "FAILED": "degraded"}


def environments(record: ServiceRecord) -> dict[str, dict]:
    """Each environment's slot, newest finished deployment and health, always all three. A service
    whose deployments all finished before these fields existed knows only its overall newest: that
    one is also its environment's newest, so it is shown there."""
    slots = active_slots(record)
    overall = _last_deployment(record)
    shaped = {}
    for environment in ENVIRONMENTS:
        last = _shape_last(getattr(record, f"last_deployment_{environment}"))
        health = getattr(record, f"health_{environment}")
        if last is None and overall is not None and overall["environment"] == environment:
            last = overall
            health = health or HEALTH_AFTER.get(overall["status"])
        shaped[environment] = {"active_deployment_id": slots.get(environment), "last_deployment": last,
                               "health": health or "unknown"}
    return shaped


def service_to_dict(record: ServiceRecord) -> dict:
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
        "active_deployment_id": active_deployment_id(active_slots(record)),
        "last_deployment": _last_deployment(record),
        "environments": environments(record),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "version": int(record.version),
    }


def _require_owner(owner_id: str) -> None:
    if user_store.get(owner_id) is None:
        raise ValidationFailed.field("owner_id", "no user with this id")


def _check_owner_exists(transaction, owner_id: str) -> None:
    # Re-checked inside the transaction, so an owner deleted meanwhile cannot slip in.
    transaction.check(UserRecord, owner_id, UserRecord.id.exists(), label="owner")


def _not_null(fields: dict) -> None:
    for name, value in fields.items():
        if value is None and name not in NULLABLE_FIELDS:
            raise ValidationFailed.field(name, "must not be null")


def _distinct(tags) -> list[str]:
    # A tag given twice is indexed once (one transaction cannot write one item twice).
    return list(dict.fromkeys(tags or []))


def _update_tag_index(transaction, record: ServiceRecord, changes: dict) -> None:
    """Keep the tag index in step with an update: items of dropped tags go, new tags get one, and
    when the owner or lifecycle changes every kept tag's item is rewritten with them."""
    old_tags = set(record.tags or [])
    new_tags = _distinct(changes.get("tags", record.tags))
    owner_id = changes.get("owner_id", record.owner_id)
    lifecycle = changes.get("lifecycle", record.lifecycle)
    rewrite_kept = "owner_id" in changes or "lifecycle" in changes
    for tag in sorted(old_tags - set(new_tags)):
        transaction.delete(store.tag_item(record, tag, owner_id=owner_id, lifecycle=lifecycle), label="tag")
    for tag in new_tags:
        if tag not in old_tags or rewrite_kept:
            transaction.save(store.tag_item(record, tag, owner_id=owner_id, lifecycle=lifecycle), label="tag")


def create_service(caller: Caller, name: str, *, description: str = "", repository_url: str | None = None,
                   lifecycle: str = "experimental", tier: int | None = None, tags: list[str] | None = None,
                   owner_id: str | None = None) -> dict:
    """A developer creates services they own; an admin may name another (existing) owner."""
    owner = owner_id if owner_id is not None else caller.id
    if owner != caller.id:
        if not caller.is_admin:
            raise Forbidden("only admins may create a service for another owner")
        _require_owner(owner)
    now = clock.now_iso()
    service_id = clock.new_id()
    record = ServiceRecord(service_id, name=name, description=description, repository_url=repository_url,
                           owner_id=owner, lifecycle=lifecycle, tier=tier, tags=list(tags or []), health="unknown",
                           active_slots={}, created_at=now, updated_at=now, version=1,
                           sort_key=clock.sort_key(now, service_id))
    after = service_to_dict(record)
    try:
        with base.transaction() as transaction:
            transaction.save(record, condition=ServiceRecord.id.does_not_exist(), label="service")
            transaction.save(UniqueRecord(store.name_guard_key(name), owner_id=service_id),
                             condition=UniqueRecord.pk.does_not_exist(), label="name")
            for tag in _distinct(record.tags):
                transaction.save(store.tag_item(record, tag, owner_id=owner, lifecycle=lifecycle), label="tag")
            if owner != caller.id:
                _check_owner_exists(transaction, owner)
            transaction.save(audit.entry(caller, "service.create", service_id, audit.diff(None, after)))
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


def ensure_known(service_id: str) -> ServiceRecord | None:
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
    """Newest first, filters combined. Each is served from a key: ``name`` by the unique-name
    guard (0 or 1 item), ``tag`` by the tag index, ``owner_id`` by ``by_owner``, ``lifecycle`` by
    ``by_lifecycle``; with several, the first of these serves the page and the rest filter it
    (pages are still filled: see ``storage.base.query_page``)."""
    scope = "services|" + json.dumps({"owner_id": owner_id, "lifecycle": lifecycle, "tag": tag, "name": name},
                                     sort_keys=True)
    start_key = decode_cursor(scope, cursor)  # a name list issues no cursor, so any cursor is refused there
    if name is not None:
        record = store.get_by_name(name)
        matches = record is not None and all((
            owner_id is None or record.owner_id == owner_id,
            lifecycle is None or record.lifecycle == lifecycle,
            tag is None or tag in (record.tags or []),
        ))
        return {"items": [service_to_dict(record)] if matches else [], "next_cursor": None}
    if tag is not None:
        page = store.tagged_page(tag, limit, start_key, owner_id=owner_id, lifecycle=lifecycle)
    else:
        page = store.list_page(limit, start_key, owner_id=owner_id, lifecycle=lifecycle)
    return {"items": [service_to_dict(r) for r in page.items], "next_cursor": encode_cursor(scope, page.last_key)}


def _load_for_write(caller: Caller, service_id: str, expected_version: int | None) -> ServiceRecord:
    record = store.get(service_id)
    if record is None:
        raise NotFound(f"service {service_id} not found")
    if not caller.is_admin and record.owner_id != caller.id:
        raise Forbidden("only the service's owner or an admin may change it")
    if expected_version is not None and expected_version != record.version:
        raise Conflict(f"service {service_id} is at version {record.version}, not {expected_version}")
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
    actions = [getattr(ServiceRecord, name).set(value) if value is not None else getattr(ServiceRecord, name).remove()
               for name, value in changes.items()]
    actions += [ServiceRecord.updated_at.set(now), ServiceRecord.version.add(1)]
    after = {**before, **changes, "updated_at": now, "version": before["version"] + 1}
    try:
        with base.transaction() as transaction:
            transaction.update(record, actions=actions, condition=ServiceRecord.version == record.version,
                               label="service")
            if "name" in changes:
                transaction.delete(UniqueRecord(store.name_guard_key(record.name)),
                                   condition=UniqueRecord.owner_id == service_id, label="old-name")
                transaction.save(UniqueRecord(store.name_guard_key(changes["name"]), owner_id=service_id),
                                 condition=UniqueRecord.pk.does_not_exist(), label="name")
            _update_tag_index(transaction, record, changes)
            if "owner_id" in changes:
                _check_owner_exists(transaction, changes["owner_id"])
            transaction.save(audit.entry(caller, "service.update", service_id,
                                         audit.diff(before, after, EDITABLE_FIELDS)))
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
    if active_slots(record):
        raise Conflict(f"service {service_id} has an active deployment")
    before = service_to_dict(record)
    no_active_slot = ServiceRecord.active_slots.does_not_exist() | (size(ServiceRecord.active_slots) == 0)
    try:
        with base.transaction() as transaction:
            transaction.delete(record, condition=(ServiceRecord.version == record.version) & no_active_slot,
                               label="service")
            transaction.delete(UniqueRecord(store.name_guard_key(record.name)),
                               condition=UniqueRecord.owner_id == service_id, label="name")
            for tag in _distinct(record.tags):
                transaction.delete(store.tag_item(record, tag, owner_id=record.owner_id, lifecycle=record.lifecycle),
                                   label="tag")
            transaction.save(UniqueRecord(store.tombstone_key(service_id), owner_id=service_id), label="tombstone")
            transaction.save(audit.entry(caller, "service.delete", service_id, audit.diff(before, None)))
    except TransactionCancelled:
        raise _concurrent(service_id, deleting=True) from None


def _concurrent(service_id: str, *, deleting: bool = False) -> Exception:
    """Why a conditional write on a service failed, judged from its current state."""
    current = store.get(service_id)
    if current is None:
        return NotFound(f"service {service_id} not found")
    if deleting and active_slots(current):
        return Conflict(f"service {service_id} has an active deployment")
    return Conflict(f"service {service_id} was changed concurrently; reload and retry")
