"""GET /deployments with filters fills its pages:
a page holds ``limit`` items whenever that many match further on, and a short page with a cursor
comes only when the documented read bound was hit."""
from __future__ import annotations

import itertools

from chalicelib.domain import deployments as domain
from chalicelib.storage import base
from chalicelib.storage import deployments as store
from chalicelib.storage.deployments import DeploymentRecord, StepMap
from tests.conftest import overridden_settings
from tests.integration.test_deployments import (  # noqa: F401 - the fixture stops executions a test leaves behind
    STEP_NAMES,
    make_service,
    no_execution_outlives_its_test,
    trigger,
    wait_for,
)
from tests.support import walk_pages

ENVIRONMENTS = ("development", "staging", "production")


def seed(services: list[str], count: int = 300) -> list[DeploymentRecord]:
    """``count`` deployments over the services, three environments and five statuses, newest last.
    Production is rare (one in ten) and interleaved, as in the report that found empty pages."""
    records = []
    for index in range(count):
        environment = "production" if index % 10 == 0 else ("staging" if index % 2 else "development")
        status = domain.STATUSES[(index * 7 + index // 3) % 5]
        service_id = services[0] if index % 4 else services[1]
        created_at = f"2026-03-01T{index // 3600:02d}:{index // 60 % 60:02d}:{index % 60:02d}.000Z"
        deployment_id = f"00000000-0000-4000-8000-{index:012d}"
        records.append(DeploymentRecord(
            deployment_id, service_id=service_id, version=f"v{index}", environment=environment, status=status,
            steps=[StepMap(name=name, status="pending") for name in STEP_NAMES], created_at=created_at,
            service_env=store.service_env(service_id, environment), sort_key=f"{created_at}#{deployment_id}"))
    with DeploymentRecord.batch_write() as batch:
        for record in records:
            batch.save(record)
    return records


def read_all(api, token: str, query: str, limit: int) -> tuple[list[list[str]], list[int]]:
    """Every page of a list, following cursors; with the DynamoDB Queries each page made."""
    pages, queries = walk_pages(api, token, "/deployments", query, limit)
    return [[item["id"] for item in page] for page in pages], queries


def expected_ids(records, **filters) -> list[str]:
    matching = [r for r in records if all(getattr(r, name) == value for name, value in filters.items())]
    return [r.id for r in sorted(matching, key=lambda r: r.sort_key, reverse=True)]


def test_every_filtered_list_answers_full_pages_until_the_last(api, viewer, developer):
    services = [make_service(developer.id), make_service(developer.id)]
    records = seed(services)
    options = {"service_id": [None, *services], "environment": [None, *ENVIRONMENTS],
               "status": [None, *domain.STATUSES]}
    checked = 0
    for combination in itertools.product(*options.values()):
        filters = {name: value for name, value in zip(options, combination, strict=True) if value is not None}
        if not filters:
            continue
        query = "&".join(f"{name}={value}" for name, value in filters.items())
        expected = expected_ids(records, **filters)
        limit = 1 if filters == {"environment": "production"} else 9
        pages, queries = read_all(api, viewer.token, query, limit)
        assert [i for page in pages for i in page] == expected, query
        assert all(len(page) == limit for page in pages[:-1]), (query, [len(p) for p in pages])
        assert pages[-1] or len(pages) == 1, f"{query}: an empty page with a cursor before it"
        if "service_id" not in filters or "status" not in filters:
            # Served from an index key: one Query per page.
            assert set(queries) == {1}, (query, queries)
        checked += 1
    assert checked == 71


def test_production_alone_with_limit_one_has_no_empty_page(api, viewer, developer):
    """The case from the report: three empty pages with cursors came before the match."""
    records = seed([make_service(developer.id), make_service(developer.id)], count=40)
    pages, _ = read_all(api, viewer.token, "environment=production", 1)
    assert pages == [[record_id] for record_id in expected_ids(records, environment="production")]
    assert len(pages) == 4


def test_a_residual_filter_reads_on_within_its_bound(api, viewer, developer, monkeypatch):
    """``status`` within one service is a filter on the service's index: read on at most
    MAX_EXAMINED deployments per request; only when that bound is hit may a page be short, and
    following its cursor still gives every match, in order."""
    service_id = make_service(developer.id)
    records = seed([service_id, service_id], count=120)
    monkeypatch.setattr(base, "FILTERED_READ_LIMIT", 8)
    expected = expected_ids(records, service_id=service_id, status="RUNNING")
    assert len(expected) > 8
    pages, _ = read_all(api, viewer.token, f"service_id={service_id}&status=RUNNING", 2)
    assert [i for page in pages for i in page] == expected
    assert any(len(page) < 2 for page in pages[:-1]), "the bound was never hit"
    assert max(len(page) for page in pages) == 2
    monkeypatch.setattr(base, "FILTERED_READ_LIMIT", 1000)
    pages, _ = read_all(api, viewer.token, f"service_id={service_id}&status=RUNNING", 5)
    assert all(len(page) == 5 for page in pages[:-1]) and [i for page in pages for i in page] == expected


def test_the_status_index_follows_the_deployment_through_its_life(api, developer):
    """The key of ``by_status_env`` changes with every status write: the trigger's (PENDING), the
    state machine's (RUNNING, SUCCESS) and the cancel's (CANCELLED)."""
    service_id = make_service(developer.id)
    environment = "staging"

    def listed(status):
        reply = api.get(f"/deployments?status={status}&environment={environment}", token=developer.token)
        assert reply.status == 200, reply.body
        return [item["id"] for item in reply.body["items"]]

    done = trigger(api, developer, service_id, environment=environment).body
    wait_for(api, developer.token, done["id"])
    assert listed("SUCCESS") == [done["id"]]
    assert listed("PENDING") == listed("RUNNING") == []

    with overridden_settings(IDP_STEP_TIME_SCALE="1"):
        running = trigger(api, developer, service_id, version="v2", environment=environment).body
        wait_for(api, developer.token, running["id"], statuses=("RUNNING",))
        assert listed("RUNNING") == [running["id"]] and listed("PENDING") == []
        assert api.post(f"/deployments/{running['id']}/cancel", token=developer.token).status == 200
    assert listed("CANCELLED") == [running["id"]] and listed("RUNNING") == []
    assert listed("SUCCESS") == [done["id"]]
