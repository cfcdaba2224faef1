"""The in-process figures of scripts/bench: round trips per route, items examined per list page,
handler latency and peak memory. The app runs in this process against the emulator."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- fixtures and recipes
class World:
    """Data the recipes need, made through the API like a user would."""

    def __init__(self, harness) -> None:
        self.h = harness
        status, body = harness.call("POST", "/auth/login", {"email": "admin@example.com",
                                                             "password": "bench-admin-password"})
        assert status == 200, body
        self.admin = body["access_token"]
        self.admin_id = body["user"]["id"]
        self.dev_email = f"dev-{uuid.uuid4().hex[:8]}@example.com"
        status, body = harness.call("POST", "/users", {"email": self.dev_email, "name": "Dev",
                                                       "password": "password-1234", "role": "developer"}, self.admin)
        assert status == 201, body
        self.dev_id = body["id"]
        self.dev_password = "password-1234"
        self.dev = self.login(self.dev_email, self.dev_password)

    def login(self, email: str, password: str) -> str:
        status, body = self.h.call("POST", "/auth/login", {"email": email, "password": password})
        assert status == 200, body
        return body["access_token"]

    def new_user(self) -> str:
        status, body = self.h.call("POST", "/users", {"email": f"u-{uuid.uuid4().hex[:10]}@example.com", "name": "U",
                                                      "password": "password-1234", "role": "viewer"}, self.admin)
        assert status == 201, body
        return body["id"]


def _password_change(world: World):
    new = f"pw-{uuid.uuid4().hex}"
    request = ("POST", "/auth/password", {"current_password": world.dev_password, "new_password": new}, world.dev)
    world.dev_password = new
    return request


def _after_password_change(world: World) -> None:
    world.dev = world.login(world.dev_email, world.dev_password)


# (method, path) -> function(world) -> (method, concrete path, body, token), expected status
RECIPES: dict = {
    ("GET", "/health"): (lambda w: ("GET", "/health", None, None), 200),
    ("GET", "/openapi.json"): (lambda w: ("GET", "/openapi.json", None, None), 200),
    ("POST", "/auth/login"): (lambda w: ("POST", "/auth/login", {"email": w.dev_email, "password": w.dev_password},
                                         None), 200),
    ("GET", "/auth/me"): (lambda w: ("GET", "/auth/me", None, w.dev), 200),
    ("POST", "/auth/password"): (_password_change, 204),
    ("GET", "/users"): (lambda w: ("GET", "/users", None, w.admin), 200),
    ("POST", "/users"): (lambda w: ("POST", "/users", {"email": f"n-{uuid.uuid4().hex[:10]}@example.com", "name": "N",
                                                       "password": "password-1234", "role": "viewer"}, w.admin), 201),
    ("GET", "/users/{user_id}"): (lambda w: ("GET", f"/users/{w.dev_id}", None, w.admin), 200),
    ("PATCH", "/users/{user_id}"): (lambda w: ("PATCH", f"/users/{w.new_user()}", {"name": "Renamed"}, w.admin), 200),
    ("DELETE", "/users/{user_id}"): (lambda w: ("DELETE", f"/users/{w.new_user()}", None, w.admin), 204),
    ("GET", "/audit"): (lambda w: ("GET", "/audit", None, w.admin), 200),
}
AFTER = {("POST", "/auth/password"): _after_password_change}


def round_trips(harness, recorder_cls, results) -> None:
    from chalicelib.api.routing import ROUTES

    world = World(harness)
    table = {}
    missing = sorted(set(ROUTES) - set(RECIPES))
    if missing:
        results.fail("round_trips", f"no benchmark recipe for {missing}")
    with recorder_cls() as recorder:
        for key in sorted(set(ROUTES) & set(RECIPES), key=lambda k: (k[1], k[0])):
            recipe, expected = RECIPES[key]
            for attempt in ("warm-up", "measured"):
                method, path, body, token = recipe(world)  # the recipe's own setup calls are not counted
                recorder.reset()
                status, reply = harness.call(method, path, body, token)
                calls = [c for c in recorder.calls if c[0] in ("dynamodb", "stepfunctions")]
                if key in AFTER:
                    AFTER[key](world)
                if status != expected:
                    results.fail("round_trips", f"{key} answered {status} ({attempt}): {str(reply)[:200]}")
                    break
            else:
                table[f"{key[0]} {key[1]}"] = {
                    "calls": len(calls),
                    "operations": sorted({op for _, op in calls}),
                    "scans": sum(1 for _, op in calls if op == "Scan"),
                    "kind": "read" if key[0] == "GET" else "write",
                }
        # Authorization alone with a warm cache: a route whose handler makes no call.
        harness.call("GET", "/openapi.json", None, world.dev)
        recorder.reset()
        harness.call("GET", "/openapi.json", None, world.dev)
        auth_calls = len(recorder.calls)
    results.put("round_trips", {"per_route": table, "warm_authorization_calls": auth_calls,
                                "scans": sum(row["scans"] for row in table.values())})


# ---------------------------------------------------------------- scale
def _seed_users(count: int) -> None:
    """Users straight into the table (the API would spend bcrypt on each)."""
    from chalicelib.core import clock
    from chalicelib.storage.users import UserRecord

    with UserRecord.batch_write() as batch:
        for _ in range(count):
            now, user_id = clock.now_iso(), clock.new_id()
            batch.save(UserRecord(user_id, email=f"{user_id}@seed.example", name="Seed", role="viewer",
                                  password_hash="x", created_at=now, updated_at=now, sort_key=clock.sort_key(now, user_id)))


def _seed_audit(count: int) -> None:
    from chalicelib.domain import audit
    from chalicelib.domain.caller import Caller
    from chalicelib.storage.audit import AuditRecord

    caller = Caller(kind="user", id=str(uuid.uuid4()), email="seed@example.com", request_id="seed")
    with AuditRecord.batch_write() as batch:
        for _ in range(count):
            batch.save(audit.entry(caller, "user.update", str(uuid.uuid4())))


SEEDERS = {"/users": _seed_users, "/audit": _seed_audit}


def scale(harness, recorder_cls, config, results) -> None:
    from chalicelib.api.routing import ROUTES

    world = World(harness)
    lists = sorted(path for (method, path), spec in ROUTES.items()
                   if method == "GET" and spec.response is not None and "Page[" in getattr(spec.response, "__name__", ""))
    missing = [path for path in lists if path not in SEEDERS]
    if missing:
        results.fail("scale", f"no seeder for list endpoints {missing}")
    figures = {}
    small, large = config.scale_sizes
    seeded = {path: 0 for path in SEEDERS}
    with recorder_cls() as recorder:
        for size in (small, large):
            for path, seed in SEEDERS.items():
                seed(size - seeded[path])
                seeded[path] = size
                recorder.reset()
                status, body = harness.call("GET", f"{path}?limit=20", None, world.admin)
                if status != 200 or len(body["items"]) != 20:
                    results.fail("scale", f"{path} answered {status} with {len(body.get('items', []))} items")
                    continue
                figures.setdefault(path, {})[str(size)] = {"examined": sum(recorder.scanned),
                                                           "queries": len(recorder.scanned)}
    results.put("scale", {"limit": 20, "per_list": figures, "target": "same for both sizes and <= limit + 1"})


# ---------------------------------------------------------------- latency
MAIN_ROUTES = [
    ("GET /auth/me", lambda w: ("GET", "/auth/me", None, w.dev)),
    ("GET /users/{id}", lambda w: ("GET", f"/users/{w.dev_id}", None, w.admin)),
    ("GET /users", lambda w: ("GET", "/users?limit=20", None, w.admin)),
    ("GET /audit", lambda w: ("GET", "/audit?limit=20", None, w.admin)),
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency(harness, recorder_cls, config, results) -> None:
    world = World(harness)
    figures = {}
    per_route = max(1, config.latency_requests // len(MAIN_ROUTES))
    with recorder_cls() as recorder:
        for name, recipe in MAIN_ROUTES:
            totals, stores = [], []
            harness.call(*recipe(world))
            for _ in range(per_route):
                request = recipe(world)
                recorder.reset()
                started = time.perf_counter()
                harness.call(*request)
                total = time.perf_counter() - started
                totals.append(total)
                stores.append(recorder.aws_seconds)
            own = [t - s for t, s in zip(totals, stores, strict=True)]
            figures[name] = {"requests": per_route,
                             "p50_ms": round(_percentile(totals, 0.5) * 1000, 2),
                             "p99_ms": round(_percentile(totals, 0.99) * 1000, 2),
                             "datastore_p50_ms": round(_percentile(stores, 0.5) * 1000, 2),
                             "own_p50_ms": round(_percentile(own, 0.5) * 1000, 2),
                             "own_p99_ms": round(_percentile(own, 0.99) * 1000, 2)}
    results.put("latency", figures)


# ---------------------------------------------------------------- memory
def memory(config, results) -> None:
    out = subprocess.run([sys.executable, __file__, "memory-probe", str(config.memory_requests)],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        results.fail("memory", out.stderr[-500:])
        return
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    results.put("memory", {**measured, "target_mb": 100})


def memory_probe(requests: int) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench import Harness

    harness = Harness()
    world = World(harness)
    mix = [recipe for _, recipe in MAIN_ROUTES] + [RECIPES[("GET", "/health")][0]]
    for i in range(requests):
        harness.call(*mix[i % len(mix)](world))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"requests": requests, "peak_rss_mb": round(peak_kb / 1024, 1)}))


# ---------------------------------------------------------------- deployments
def orchestration(harness, config, results) -> None:
    from chalicelib.api.routing import ROUTES

    if ("POST", "/deployments") not in ROUTES:
        results.fail("orchestration", "the deployment API is not registered")
        return
    import deploy_bench

    deploy_bench.measure(harness, World(harness), config, results)


def run_all(harness, recorder_cls, config, results) -> None:
    round_trips(harness, recorder_cls, results)
    scale(harness, recorder_cls, config, results)
    latency(harness, recorder_cls, config, results)
    memory(config, results)
    orchestration(harness, config, results)


def render_table(report: dict) -> str:
    f = report["figures"]
    lines = ["figure                                   value"]
    if "cold_start" in f:
        c = f["cold_start"]
        lines.append(f"cold start (app / bare, median ratio)     {c['median_ratio']:.2f}  "
                     f"({c['app_median_s'] * 1000:.0f} ms / {c['bare_median_s'] * 1000:.0f} ms, target <= 1.3)")
    if "round_trips" in f:
        r = f["round_trips"]
        lines.append(f"warm authorization AWS calls              {r['warm_authorization_calls']}")
        lines.append(f"scans on request paths                    {r['scans']}")
        for route, row in r["per_route"].items():
            lines.append(f"  {route:<38} {row['calls']} call(s) {','.join(row['operations'])}")
    if "scale" in f:
        for path, sizes in f["scale"]["per_list"].items():
            lines.append(f"items examined, first page {path:<14} " +
                         ", ".join(f"{n} items: {v['examined']}" for n, v in sizes.items()))
    if "latency" in f:
        for name, row in f["latency"].items():
            lines.append(f"latency {name:<32} p50 {row['p50_ms']} ms p99 {row['p99_ms']} ms "
                         f"(data store p50 {row['datastore_p50_ms']} ms; ours p50 {row['own_p50_ms']} ms)")
    if "memory" in f:
        lines.append(f"peak RSS after {f['memory']['requests']} requests        {f['memory']['peak_rss_mb']} MB (target <= 100)")
    if "orchestration" in f:
        o = f["orchestration"]
        lines.append(f"deployment overhead (terminal - 14.5 s)   median {o['overhead_median_s']:.2f} s; "
                     f"RUNNING visible after median {o['running_visible_median_s']:.2f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "memory-probe":
        memory_probe(int(sys.argv[2]))
