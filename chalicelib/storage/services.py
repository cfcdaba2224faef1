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

from chalicelib.storage.base import ByListIndex, Page, TableModel, query_page, region, table_name
from chalicelib.storage.users import UniqueRecord

LIST_PK = "service"


class _ByOwner(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner_id = UnicodeAttribute(hash_key=True)
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


def environment_health(environment: str):
    return getattr(ServiceRecord, f"health_{environment}")


def environment_last_deployment(environment: str):
    return getattr(ServiceRecord, f"last_deployment_{environment}")


def name_guard_key(name: str) -> str:
    return f"service-name#{name}"


def get(service_id: str) -> ServiceRecord | None:
    return ServiceRecord.find(service_id)


def list_page(limit: int, start_key: dict | None, owner_id: str | None = None) -> Page[ServiceRecord]:
    if owner_id is not None:
        return query_page(ServiceRecord.by_owner, owner_id, limit=limit, start_key=start_key)
    return query_page(ServiceRecord.by_list, LIST_PK, limit=limit, start_key=start_key)


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
