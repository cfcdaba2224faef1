"""Items DynamoDB examines for the first page of every list, at two table sizes: the tables are
filled straight with BatchWriteItem; the harness refuses to report the figure when a list of the
route table has no seeder."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.fixtures import World, seed_deployment, system_caller
from bench.harness import Recorder
from bench.phases.round_trips import aws_operations


class Seeder:
    """Items straight into one table with BatchWriteItem (the API would spend bcrypt, audit and
    transactions on each). ``partition`` lists put every item in the partition the list reads."""

    def __init__(self, table: str, make: Callable[[int], Any]) -> None:
        self.table, self.make = table, make

    def seed(self, count: int) -> None:
        """BatchWriteItem of 25 items at a time, four requests in flight (the emulator applies them one
        at a time; the HTTP around them overlaps)."""
        if count <= 0:
            return
        from chalicelib.core import aws
        from chalicelib.core.settings import get_settings

        client, table = aws.client("dynamodb"), get_settings().table_name(self.table)
        items = [{"PutRequest": {"Item": self.make(i).serialize()}} for i in range(count)]

        def write(chunk: list[dict]) -> None:
            while chunk:
                unprocessed = client.batch_write_item(RequestItems={table: chunk}).get("UnprocessedItems", {})
                chunk = unprocessed.get(table, [])

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, [items[i:i + 25] for i in range(0, len(items), 25)]))


def _seed_time(i: int) -> tuple[str, str]:
    from chalicelib.core import clock

    return clock.now_iso(), clock.new_id()


def seeders(scale_service_id: str, scale_deployment_id: str) -> dict[str, Seeder]:
    from chalicelib.core import clock
    from chalicelib.domain import audit, logs
    from chalicelib.storage import audit as audit_store
    from chalicelib.storage.alerts import AlertRecord
    from chalicelib.storage.flags import FlagRecord
    from chalicelib.storage.sdk_keys import SdkKeyRecord
    from chalicelib.storage.services import ServiceRecord
    from chalicelib.storage.users import UserRecord

    caller = system_caller()

    def user(i):
        now, user_id = _seed_time(i)
        return UserRecord(user_id, email=f"{user_id}@seed.example", name="Seed", role="viewer", password_hash="x",
                          created_at=now, updated_at=now, sort_key=clock.sort_key(now, user_id))

    def service(i):
        now, service_id = _seed_time(i)
        return ServiceRecord(service_id, name=f"seed-{service_id[:12]}", owner_id=caller.id, created_at=now,
                             updated_at=now, active_slots={}, sort_key=clock.sort_key(now, service_id))

    def flag(i):
        now, key = clock.now_iso(), f"seed-{uuid.uuid4().hex}"
        return FlagRecord(key, created_at=now, updated_at=now, sort_key=clock.sort_key(now, key))

    def sdk_key(i):
        now, key_id = _seed_time(i)
        return SdkKeyRecord(key_id, name="seed", environment="staging", key_hash=uuid.uuid4().hex,
                            key_prefix="idp_sk_seed", created_at=now, sort_key=clock.sort_key(now, key_id))

    def alert(i):
        now, alert_id = _seed_time(i)
        return AlertRecord(alert_id, rule="service_registered", subject=str(uuid.uuid4()), severity="info",
                           status="resolved" if i % 2 else "open", message="seed", opened_at=now,
                           sort_key=clock.sort_key(now, alert_id))

    def log_line(i):
        return logs.new_record(logs.LogLine(scale_service_id, "INFO", f"seed {i}", deployment_id=scale_deployment_id))

    return {
        "users": Seeder("users", user),
        "audit": Seeder("audit", lambda i: audit_store.new_entry(audit.entry(caller, "user.update", str(uuid.uuid4())))),
        "services": Seeder("services", service),
        "deployments": Seeder("deployments", lambda i: seed_deployment(scale_service_id, f"s{i}", save=False)),
        "logs": Seeder("logs", log_line),
        "flags": Seeder("flags", flag),
        "sdk-keys": Seeder("sdk-keys", sdk_key),
        "alerts": Seeder("alerts", alert),
    }


# list path -> (table it reads, concrete path); every list of the route table must be here.
def scale_cases(service_id: str, deployment_id: str) -> dict[str, tuple[str, str]]:
    return {
        "/users": ("users", "/users"),
        "/people": ("users", "/people"),
        "/audit": ("audit", "/audit"),
        "/services": ("services", "/services"),
        "/services/{service_id}/deployments": ("deployments", f"/services/{service_id}/deployments"),
        "/services/{service_id}/logs": ("logs", f"/services/{service_id}/logs"),
        "/deployments": ("deployments", "/deployments"),
        "/deployments/{deployment_id}/logs": ("logs", f"/deployments/{deployment_id}/logs"),
        "/flags": ("flags", "/flags"),
        "/sdk-keys": ("sdk-keys", "/sdk-keys"),
        "/alerts": ("alerts", "/alerts"),
    }


def _item_count(table: str) -> int:
    """Items in a table, from DescribeTable (the emulator counts them live; not a request path)."""
    from chalicelib.core import aws
    from chalicelib.core.settings import get_settings

    return int(aws.client("dynamodb").describe_table(TableName=get_settings().table_name(table))["Table"]["ItemCount"])


def list_routes() -> list[str]:
    from chalicelib.api.routing import ROUTES

    return sorted(path for (method, path), spec in ROUTES.items()
                  if method == "GET" and spec.response is not None and "Page[" in getattr(spec.response, "__name__", ""))


def measure(harness, world: World, config, results, log) -> None:
    limit = 20
    service_id = world.new_service()
    deployment_id = seed_deployment(service_id, "scale").id
    cases = scale_cases(service_id, deployment_id)
    missing = [path for path in list_routes() if path not in cases]
    if missing:
        results.fail("scale", f"no seeder for list endpoints {missing}")
    tables = seeders(service_id, deployment_id)
    figures: dict = {}
    with Recorder() as recorder:
        for size in config.scale_sizes:
            for table, seeder in tables.items():
                # The lists read one partition of these: it gets at least a page's worth at once.
                wanted = max(size - _item_count(table), limit + 1 if size == config.scale_sizes[0] else 0)
                log(f"scale: {table} +{max(wanted, 0)} items")
                seeder.seed(wanted)
            for route, (table, path) in cases.items():
                recorder.reset()
                status, body = harness.call("GET", f"{path}?limit={limit}", None, world.admin)
                if status != 200 or len(body["items"]) != limit or not body["next_cursor"]:
                    results.fail("scale", f"{path} answered {status} with {len(body.get('items', []))} items")
                    continue
                dynamodb, _ = aws_operations(recorder)
                figures.setdefault(route, {"table": table, "sizes": {}})["sizes"][str(size)] = {
                    "items_in_table": _item_count(table), "examined": sum(recorder.scanned),
                    "queries": len(recorder.scanned), "calls": dynamodb}
    for row in figures.values():
        examined = [v["examined"] for v in row["sizes"].values()]
        row["meets_target"] = len(set(examined)) == 1 and examined[0] <= limit + 1 and len(examined) == 2
    results.put("scale", {"limit": limit, "sizes": list(config.scale_sizes), "per_list": figures,
                          "misses": sorted(r for r, row in figures.items() if not row["meets_target"]),
                          "target": "items examined the same at both sizes and <= limit + 1"})

