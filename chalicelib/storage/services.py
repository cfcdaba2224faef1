"""Services table. The deployment engine updates a service with single conditional writes:
``active_slots.<environment>`` holds the id of the deployment that owns that environment's slot
(claimed with ``attribute_not_exists``, released only by its owner), and ``health`` /
``last_deployment`` (and their per-environment ``health_<env>`` / ``last_deployment_<env>``) are
plain attributes that the state machine sets in the transaction that ends a deployment."""
from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size
from pynamodb.expressions.operand import Path
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.core import clock
from chalicelib.storage import uniques, users
from chalicelib.storage.base import (
    ByListIndex,
    Page,
    TableModel,
    Transaction,
    get_many,
    index_meta,
    query_page,
    table_meta,
)

LIST_PK = "service"


class _ByOwner(GlobalSecondaryIndex):
    Meta = index_meta("by_owner")

    owner_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByLifecycle(GlobalSecondaryIndex):
    Meta = index_meta("by_lifecycle")

    lifecycle = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class ServiceRecord(TableModel):
    Meta = table_meta("services")

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    repository_url = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute()
    lifecycle = UnicodeAttribute(default="experimental")
    tier = NumberAttribute(null=True)
    # A list of str stored as a list of S: pynamodb types ``of`` as the element's value type, which
    # only holds for MapAttribute elements, so UnicodeAttribute (elements are str) is refused.
    tags: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    health = UnicodeAttribute(default="unknown")
    # environment -> deployment id holding that environment's slot; always present (maybe empty)
    # so the state machine can address ``active_slots.#env`` directly.
    active_slots: MapAttribute[str, str] = MapAttribute(default=dict)
    # {id, status, version, environment, finished_at} of the newest finished deployment, or absent.
    last_deployment: MapAttribute[str, str | None] = MapAttribute(null=True)
    # The same per environment, as top-level attributes (``health_<env>``, ``last_deployment_<env>``)
    # rather than a map: the state machine sets them by name with no parent map that a service
    # stored before them would lack. An environment's slot is ``active_slots.<env>``.
    health_development = UnicodeAttribute(null=True)
    health_staging = UnicodeAttribute(null=True)
    health_production = UnicodeAttribute(null=True)
    last_deployment_development: MapAttribute[str, str | None] = MapAttribute(null=True)
    last_deployment_staging: MapAttribute[str, str | None] = MapAttribute(null=True)
    last_deployment_production: MapAttribute[str, str | None] = MapAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    list_pk = UnicodeAttribute(default=LIST_PK)
    sort_key = UnicodeAttribute()

    by_list = ByListIndex()
    by_owner = _ByOwner()
    by_lifecycle = _ByLifecycle()


class ServiceTagRecord(TableModel):
    """The tag index: one item per (tag, service), written in the same transaction as the service
    (a GSI cannot index the elements of a list). It repeats the service's ``owner_id`` and
    ``lifecycle``, kept in step by the same transactions, so a tag combined with those filters is
    one Query on the tag's partition."""

    Meta = table_meta("service-tags")

    tag = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)  # the service's "<created_at>#<id>"
    service_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    lifecycle = UnicodeAttribute()


def name_guard_key(name: str) -> str:
    return f"service-name#{name}"


def get(service_id: str) -> ServiceRecord | None:
    return ServiceRecord.find(service_id)


def tag_item(record: ServiceRecord, tag: str, *, owner_id: str, lifecycle: str) -> ServiceTagRecord:
    """The tag index item of ``record`` for ``tag``, with the owner and lifecycle it has (or will have)."""
    return ServiceTagRecord(tag, record.sort_key, service_id=record.id, owner_id=owner_id, lifecycle=lifecycle)


def list_page(limit: int, start_key: dict | None, *, owner_id: str | None = None,
              lifecycle: str | None = None) -> Page[ServiceRecord]:
    """Newest first. The owner's index when ``owner_id`` is given (``lifecycle`` then filters it),
    else the lifecycle's, else every service."""
    if owner_id is not None:
        return query_page(ServiceRecord.by_owner, owner_id, limit=limit, start_key=start_key,
                          filter_condition=ServiceRecord.lifecycle == lifecycle if lifecycle else None)
    if lifecycle is not None:
        return query_page(ServiceRecord.by_lifecycle, lifecycle, limit=limit, start_key=start_key)
    return query_page(ServiceRecord.by_list, LIST_PK, limit=limit, start_key=start_key)


def tagged_page(tag: str, limit: int, start_key: dict | None, *, owner_id: str | None = None,
                lifecycle: str | None = None) -> Page[ServiceRecord]:
    """Newest first, the services carrying ``tag``: one filled Query on the tag index, then one
    BatchGetItem for the page's services."""
    conditions = [condition for wanted, condition in ((owner_id, ServiceTagRecord.owner_id == owner_id),
                                                      (lifecycle, ServiceTagRecord.lifecycle == lifecycle))
                  if wanted is not None]
    filter_condition = None
    for condition in conditions:
        filter_condition = condition if filter_condition is None else filter_condition & condition
    page = query_page(ServiceTagRecord, tag, limit=limit, start_key=start_key, filter_condition=filter_condition)
    found = get_many(ServiceRecord, [item.service_id for item in page.items])
    # A service deleted since the Query ran (its tag items went with it) is left out.
    return Page(items=[found[item.service_id] for item in page.items if item.service_id in found],
                last_key=page.last_key)


def query(limit: int, start_key: dict | None, *, owner_id: str | None = None, lifecycle: str | None = None,
          tag: str | None = None, name: str | None = None) -> Page[ServiceRecord]:
    """Newest first, filters combined. Each is served from a key: ``name`` by the unique-name
    claim (0 or 1 item, never a cursor), ``tag`` by the tag index, ``owner_id`` by ``by_owner``,
    ``lifecycle`` by ``by_lifecycle``; with several, the first of these serves the page and the
    rest filter it."""
    if name is not None:
        record = get_by_name(name)
        if record is not None and all((
            owner_id is None or record.owner_id == owner_id,
            lifecycle is None or record.lifecycle == lifecycle,
            tag is None or tag in (record.tags or []),
        )):
            return Page(items=[record], last_key=None)
        return Page(items=[], last_key=None)
    if tag is not None:
        return tagged_page(tag, limit, start_key, owner_id=owner_id, lifecycle=lifecycle)
    return list_page(limit, start_key, owner_id=owner_id, lifecycle=lifecycle)


def tombstone_key(service_id: str) -> str:
    """A uniques item written in the delete transaction: it tells "deleted" apart from "never
    existed", so a deleted service's history (logs, deployments) stays readable while the service
    itself answers 404."""
    return f"service-deleted#{service_id}"


def get_by_name(name: str) -> ServiceRecord | None:
    owner = uniques.owner_of(name_guard_key(name))
    return get(owner) if owner is not None else None


def was_deleted(service_id: str) -> bool:
    return uniques.owner_of(tombstone_key(service_id)) is not None


# --- reading a record's maps as plain values ------------------------------------------------


def plain_map(value) -> dict | None:
    if value is None:
        return None
    if isinstance(value, MapAttribute):
        return value.as_dict()
    return dict(value)


def active_slots(record: ServiceRecord) -> dict[str, str]:
    """environment -> deployment id, only the slots that are held."""
    return {env: dep for env, dep in (plain_map(record.active_slots) or {}).items() if dep}


def last_deployment(record: ServiceRecord, environment: str | None = None) -> dict | None:
    """The newest finished deployment as stored, overall or of one environment."""
    return plain_map(getattr(record, f"last_deployment_{environment}" if environment else "last_deployment"))


def environment_health(record: ServiceRecord, environment: str) -> str | None:
    return getattr(record, f"health_{environment}")


# --- the catalog's writes ---------------------------------------------------------------------


def new_service(service_id: str, *, name: str, description: str, repository_url: str | None, owner_id: str,
                lifecycle: str, tier: int | None, tags: list[str], now: str) -> ServiceRecord:
    """A service not yet written (see :func:`add`)."""
    return ServiceRecord(service_id, name=name, description=description, repository_url=repository_url,
                         owner_id=owner_id, lifecycle=lifecycle, tier=tier, tags=list(tags), health="unknown",
                         active_slots={}, created_at=now, updated_at=now, version=1,
                         sort_key=clock.sort_key(now, service_id))


def _distinct(tags) -> list[str]:
    # A tag given twice is indexed once (one transaction cannot write one item twice).
    return list(dict.fromkeys(tags or []))


def add(tx: Transaction, service: ServiceRecord) -> None:
    """Write a new service, claim its name (label ``name`` when taken) and index its tags."""
    tx.save(service, condition=ServiceRecord.id.does_not_exist(), label="service")
    uniques.claim(tx, name_guard_key(service.name), service.id, label="name")
    for tag in _distinct(service.tags):
        tx.save(tag_item(service, tag, owner_id=service.owner_id, lifecycle=service.lifecycle), label="tag")


def require_owner(tx: Transaction, owner_id: str) -> None:
    """Re-checked inside the transaction (label ``owner``), so an owner deleted meanwhile cannot slip in."""
    users.check_exists(tx, owner_id, label="owner")


def _update_tag_index(tx: Transaction, service: ServiceRecord, changes: dict) -> None:
    """Keep the tag index in step with an update: items of dropped tags go, new tags get one, and
    when the owner or lifecycle changes every kept tag's item is rewritten with them."""
    old_tags = set(service.tags or [])
    new_tags = _distinct(changes.get("tags", service.tags))
    owner_id = changes.get("owner_id", service.owner_id)
    lifecycle = changes.get("lifecycle", service.lifecycle)
    rewrite_kept = "owner_id" in changes or "lifecycle" in changes
    for tag in sorted(old_tags - set(new_tags)):
        tx.delete(tag_item(service, tag, owner_id=owner_id, lifecycle=lifecycle), label="tag")
    for tag in new_tags:
        if tag not in old_tags or rewrite_kept:
            tx.save(tag_item(service, tag, owner_id=owner_id, lifecycle=lifecycle), label="tag")


def update_fields(tx: Transaction, service: ServiceRecord, changes: dict, now: str) -> None:
    """Set the catalog fields in ``changes`` (None removes one) on the service as read (refused,
    label ``service``, when its version moved); a new name swaps the name claim (label ``name``
    when taken), and the tag index follows."""
    actions = [getattr(ServiceRecord, name).set(value) if value is not None else getattr(ServiceRecord, name).remove()
               for name, value in changes.items()]
    actions += [ServiceRecord.updated_at.set(now), ServiceRecord.version.add(1)]
    tx.update(service, actions=actions, condition=ServiceRecord.version == service.version, label="service")
    if "name" in changes:
        uniques.release(tx, name_guard_key(service.name), service.id, label="old-name")
        uniques.claim(tx, name_guard_key(changes["name"]), service.id, label="name")
    _update_tag_index(tx, service, changes)


def indexed_tags(service: ServiceRecord) -> set[str]:
    """The tags of ``service`` that have their tag index item (one BatchGetItem): what
    ``scripts/backfill`` leaves alone."""
    keys = [(tag, service.sort_key) for tag in _distinct(service.tags)]
    return {item.tag for item in ServiceTagRecord.batch_get(keys, consistent_read=True)} if keys else set()


def index_missing_tags(tx: Transaction, service: ServiceRecord, tags: list[str]) -> None:
    """Write the tag index items ``tags`` of a service stored before the index existed
    (``scripts/backfill``), only while the service is as read (label ``service``: every change of
    its tags, owner or lifecycle bumps ``version``, and a deleted one fails too) and only where no
    item is there yet (label ``tag``: a newer write is never overwritten)."""
    tx.check(ServiceRecord, service.id, ServiceRecord.version == service.version, label="service")
    for tag in _distinct(tags):
        tx.save(tag_item(service, tag, owner_id=service.owner_id, lifecycle=service.lifecycle),
                condition=ServiceTagRecord.tag.does_not_exist(), label="tag")


def delete(tx: Transaction, service: ServiceRecord) -> None:
    """Delete the service as read, only while no deployment slot is held (label ``service``); free
    its name and tags, and leave a tombstone."""
    no_active_slot = ServiceRecord.active_slots.does_not_exist() | (size(ServiceRecord.active_slots) == 0)
    tx.delete(service, condition=(ServiceRecord.version == service.version) & no_active_slot, label="service")
    uniques.release(tx, name_guard_key(service.name), service.id, label="name")
    for tag in _distinct(service.tags):
        tx.delete(tag_item(service, tag, owner_id=service.owner_id, lifecycle=service.lifecycle), label="tag")
    uniques.mark(tx, tombstone_key(service.id), service.id, label="tombstone")


# --- the deployment engine's writes -----------------------------------------------------------


def _slot(environment: str) -> Path:
    """The document path ``active_slots.<environment>``, built from the attribute's Path: the same
    path as ``ServiceRecord.active_slots[environment]``, which pynamodb types as the map's value (str)."""
    return Path(ServiceRecord.active_slots)[environment]


def claim_slot(tx: Transaction, service_id: str, environment: str, deployment_id: str) -> None:
    """Refused (label ``slot``) when the service does not exist or the environment's slot is held."""
    slot = _slot(environment)
    tx.update(ServiceRecord(service_id), actions=[slot.set(deployment_id)],
              condition=ServiceRecord.id.exists() & slot.does_not_exist(), label="slot")


def release_slot_of(service_id: str, environment: str, holder: str) -> bool:
    """Free the slot if ``holder`` still holds it (one conditional write); False when it moved."""
    slot = _slot(environment)
    try:
        ServiceRecord(service_id).update(actions=[slot.remove()], condition=slot == holder)
    except UpdateError:
        return False
    return True


def record_finish(tx: Transaction, service_id: str, last: dict, *, degraded: bool, holds_slot: bool) -> None:
    """A deployment finished: ``last`` (``{id, status, version, environment, finished_at}``) is the
    service's and its environment's newest finished deployment, health goes ``degraded`` when asked,
    and the slot is released when the deployment holds it (the write is conditioned on that; when
    not, on the service existing and the slot being someone else's). Not ``updated_at`` or
    ``version``: the service's own fields do not change, and a concurrent PATCH must not fail
    because a deployment finished."""
    environment = last["environment"]
    actions = [ServiceRecord.last_deployment.set(last),
               getattr(ServiceRecord, f"last_deployment_{environment}").set(last)]
    if degraded:
        actions += [ServiceRecord.health.set("degraded"), getattr(ServiceRecord, f"health_{environment}").set("degraded")]
    slot = _slot(environment)
    if holds_slot:
        actions.append(slot.remove())
        condition = slot == last["id"]
    else:
        condition = ServiceRecord.id.exists() & ((slot != last["id"]) | slot.does_not_exist())
    tx.update(ServiceRecord(service_id), actions=actions, condition=condition, label="service")
