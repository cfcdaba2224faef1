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
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import ByListIndex, Page, TableModel, get_many, query_page, region, table_name
from chalicelib.storage.users import UniqueRecord

LIST_PK = "service"


class _ByOwner(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByLifecycle(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_lifecycle"
        projection = AllProjection()

    lifecycle = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class ServiceRecord(TableModel):
    class Meta:
        table_name = table_name("services")
        region = region()

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    repository_url = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute()
    lifecycle = UnicodeAttribute(default="experimental")
    tier = NumberAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    health = UnicodeAttribute(default="unknown")
    # environment -> deployment id holding that environment's slot; always present (maybe empty)
    # so the state machine can address ``active_slots.#env`` directly.
    active_slots = MapAttribute(default=dict)
    # {id, status, version, environment, finished_at} of the newest finished deployment, or absent.
    last_deployment = MapAttribute(null=True)
    # The same per environment, as top-level attributes (``health_<env>``, ``last_deployment_<env>``)
    # rather than a map: the state machine sets them by name with no parent map that a service
    # stored before them would lack. An environment's slot is ``active_slots.<env>``.
    health_development = UnicodeAttribute(null=True)
    health_staging = UnicodeAttribute(null=True)
    health_production = UnicodeAttribute(null=True)
    last_deployment_development = MapAttribute(null=True)
    last_deployment_staging = MapAttribute(null=True)
    last_deployment_production = MapAttribute(null=True)
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

    class Meta:
        table_name = table_name("service-tags")
        region = region()

    tag = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)  # the service's "<created_at>#<id>"
    service_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    lifecycle = UnicodeAttribute()


def environment_health(environment: str):
    return getattr(ServiceRecord, f"health_{environment}")


def environment_last_deployment(environment: str):
    return getattr(ServiceRecord, f"last_deployment_{environment}")


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


def tombstone_key(service_id: str) -> str:
    """A uniques item written in the delete transaction: it tells "deleted" apart from "never
    existed", so a deleted service's history (logs, deployments) stays readable while the service
    itself answers 404."""
    return f"service-deleted#{service_id}"


def get_by_name(name: str) -> ServiceRecord | None:
    guard = UniqueRecord.find(name_guard_key(name))
    if guard is None:
        return None
    return get(guard.owner_id)


def was_deleted(service_id: str) -> bool:
    return UniqueRecord.find(tombstone_key(service_id)) is not None
