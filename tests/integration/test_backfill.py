"""scripts/backfill: services and deployments stored by older code (no service-tags items, no
``status_env``) are missing from ``?tag=`` and ``?status=&environment=`` lists until the backfill
writes what they lack; a second run and ``--dry-run`` write nothing, and a service or deployment
changed while the backfill runs is not overwritten."""
from __future__ import annotations

import backfill
import boto3
import pytest

from chalicelib.core import clock
from chalicelib.domain import services as services_domain
from chalicelib.domain.caller import Caller
from chalicelib.storage import deployments, services
from chalicelib.storage.services import ServiceRecord, ServiceTagRecord
from tests.conftest import TEST_ENV

pytestmark = pytest.mark.allow_scan  # the backfill Scans (an admin tool); the API calls are still key reads
PREFIX = TEST_ENV["IDP_TABLE_PREFIX"]


def old_service(owner_id: str, tags: list[str], lifecycle: str = "production") -> str:
    """A service as code before the tag index wrote it: the item alone, no service-tags items."""
    now = clock.now_iso()
    service_id = clock.new_id()
    ServiceRecord(service_id, name=f"old-{service_id[:8]}", owner_id=owner_id, lifecycle=lifecycle, tags=tags,
                  created_at=now, updated_at=now, sort_key=clock.sort_key(now, service_id)).save()
    return service_id


def old_deployment(service_id: str, status: str = "SUCCESS", environment: str = "staging") -> str:
    """A deployment as code before ``status_env`` wrote it (boto3: the model's serialize would add it)."""
    now = clock.now_iso()
    deployment_id = clock.new_id()
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=f"{PREFIX}-deployments", Item={
        "id": {"S": deployment_id}, "service_id": {"S": service_id}, "version": {"S": "v1.0.0"},
        "environment": {"S": environment}, "status": {"S": status}, "created_at": {"S": now},
        "finished_at": {"S": now}, "steps": {"L": []}, "list_pk": {"S": "deployment"},
        "service_env": {"S": deployments.service_env(service_id, environment)},
        "sort_key": {"S": clock.sort_key(now, deployment_id)}})
    return deployment_id


def ids(api, token: str, path: str) -> list[str]:
    reply = api.get(path, token=token)
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.body["items"]]


def run(dry_run: bool = False) -> tuple[backfill.Counts, backfill.Counts, list[str]]:
    lines: list[str] = []
    tags, statuses = backfill.backfill(dry_run=dry_run, say=lines.append)
    return tags, statuses, lines


def tag_items() -> set[tuple[str, str]]:
    return {(item.tag, item.service_id) for item in ServiceTagRecord.scan(consistent_read=True)}


def test_the_backfill_makes_old_items_findable_once(api, admin):
    service_id = old_service(admin.id, ["pci", "web", "pci"])
    deployment_id = old_deployment(service_id)
    current = services_domain.create_service(
        Caller(kind="user", id=admin.id, email=admin.user["email"], role="admin", request_id="test"),
        "current", lifecycle="production", tags=["pci"])
    assert ids(api, admin.token, "/services?tag=pci") == [current["id"]]
    assert ids(api, admin.token, "/services?tag=web") == []
    assert ids(api, admin.token, "/deployments?status=SUCCESS&environment=staging") == []

    tags, statuses, lines = run()
    assert (tags.written, tags.present, statuses.written, statuses.present) == (2, 1, 1, 0)
    assert lines[-1] == "services: 2 tag items written, 1 already there; deployments: 1 status_env written, 0 already there"
    assert ids(api, admin.token, "/services?tag=pci") == [current["id"], service_id]
    assert ids(api, admin.token, "/services?tag=web") == [service_id]
    assert ids(api, admin.token, f"/services?tag=pci&lifecycle=production&owner_id={admin.id}") == [
        current["id"], service_id]
    assert ids(api, admin.token, "/deployments?status=SUCCESS&environment=staging") == [deployment_id]
    assert deployments.get(deployment_id, consistent=True).status_env == "SUCCESS#staging"

    before = tag_items()
    tags, statuses, lines = run()
    assert (tags.written, tags.present, statuses.written, statuses.present) == (0, 3, 0, 1)
    assert lines == ["services: 0 tag items written, 3 already there; deployments: 0 status_env written, 1 already there",
                     "nothing to backfill: every item is already there"]
    assert tag_items() == before


def test_a_dry_run_prints_what_it_would_write_and_writes_nothing(api, admin, capsys):
    service_id = old_service(admin.id, ["edge"])
    deployment_id = old_deployment(service_id, status="FAILED", environment="production")
    assert backfill.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would write service-tags item 'edge' of service old-{service_id[:8]} ({service_id})" in out
    assert f"would set status_env 'FAILED#production' on deployment {deployment_id}" in out
    assert "services: 1 tag items would be written, 0 already there; " \
           "deployments: 1 status_env would be written, 0 already there" in out
    assert tag_items() == set()
    assert deployments.get(deployment_id, consistent=True).status_env is None
    assert ids(api, admin.token, "/services?tag=edge") == []
    assert ids(api, admin.token, "/deployments?status=FAILED&environment=production") == []


def test_a_service_changed_during_the_backfill_keeps_its_new_tags(api, admin, monkeypatch):
    """The service's tags change between the backfill's read and its write: the transaction's
    version check refuses the stale items, the service is read again, and only its new tags are
    indexed (a dropped tag gets no item)."""
    service_id = old_service(admin.id, ["old-tag"])
    acting = Caller(kind="user", id=admin.id, email=admin.user["email"], role="admin", request_id="test")
    real = services.indexed_tags
    changed = []

    def indexed_then_changed(service):
        found = real(service)
        if not changed:  # a PATCH lands right after the backfill looked
            changed.append(services_domain.update_service(acting, service_id, tags=["new-tag"]))
        return found

    monkeypatch.setattr(services, "indexed_tags", indexed_then_changed)
    tags, _, _ = run()
    assert changed and (tags.written, tags.present) == (0, 1)  # the PATCH itself indexed new-tag
    assert tag_items() == {("new-tag", service_id)}
    assert ids(api, admin.token, "/services?tag=old-tag") == []


def test_a_deployment_whose_status_moved_gets_the_key_of_its_new_status(api, admin, monkeypatch):
    """Older code still running moves the status (without ``status_env``) after the backfill read
    it: the conditional write is refused, the deployment read again, and its current status keyed."""
    deployment_id = old_deployment(old_service(admin.id, []), status="RUNNING")
    real = deployments.set_missing_status_env
    moved = []

    def status_moved_first(deployment):
        if not moved:
            boto3.client("dynamodb", region_name="us-east-1").update_item(
                TableName=f"{PREFIX}-deployments", Key={"id": {"S": deployment_id}},
                UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": "FAILED"}})
            moved.append(True)
        return real(deployment)

    monkeypatch.setattr(deployments, "set_missing_status_env", status_moved_first)
    _, statuses, _ = run()
    assert statuses.written == 1
    assert deployments.get(deployment_id, consistent=True).status_env == "FAILED#staging"
    assert ids(api, admin.token, "/deployments?status=RUNNING&environment=staging") == []
    assert ids(api, admin.token, "/deployments?status=FAILED&environment=staging") == [deployment_id]
