"""Domain rules without a database: the storage functions the domain calls are replaced by a small
in-memory fake (a unit of work that applies or refuses its writes as a whole, and the few reads
the rules need). No moto, no DynamoDB: these tests fail only when a rule changes."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.core.errors import Conflict, Forbidden, NotFound
from chalicelib.domain import audit as audit_domain
from chalicelib.domain import auth as auth_domain
from chalicelib.domain import deployments as deployments_domain
from chalicelib.domain import metrics as metrics_domain
from chalicelib.domain import services as services_domain
from chalicelib.domain import users as users_domain
from chalicelib.domain.caller import Caller

TransactionCancelled = users_domain.TransactionCancelled
with_retries = deployments_domain.base.with_retries

ADMIN = Caller(kind="user", id="admin-1", email="admin@example.com", role="admin", request_id="r")
OWNER = Caller(kind="user", id="dev-1", email="dev@example.com", role="developer", request_id="r")
STRANGER = Caller(kind="user", id="dev-2", email="other@example.com", role="developer", request_id="r")


class World:
    """The items the fake storage holds, and the conditions that fail on the next commits."""

    def __init__(self) -> None:
        self.users: dict[str, SimpleNamespace] = {}
        self.services: dict[str, SimpleNamespace] = {}
        self.deployments: dict[str, SimpleNamespace] = {}
        self.admins = 0
        self.committed: list[list[tuple[str, object]]] = []

    def transaction(self) -> FakeTransaction:
        return FakeTransaction(self)


class FakeTransaction:
    """Writes are (label, apply) pairs; a write whose condition does not hold refuses the whole
    transaction with its label, as a DynamoDB transaction does."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.writes: list[tuple[str, object]] = []
        self.refused: set[str] = set()

    def write(self, label: str, apply=None, *, holds: bool = True) -> None:
        self.writes.append((label, apply))
        if not holds:
            self.refused.add(label)

    def __enter__(self) -> FakeTransaction:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            return
        if self.refused:
            raise TransactionCancelled(set(self.refused), [])
        for _, apply in self.writes:
            if apply is not None:
                apply()
        self.world.committed.append(self.writes)


@pytest.fixture
def world(monkeypatch) -> World:
    world = World()
    fake_base = SimpleNamespace(transaction=world.transaction, with_retries=with_retries)
    monkeypatch.setattr(audit_domain, "store", SimpleNamespace(add=lambda tx, entry: tx.write("audit")))
    monkeypatch.setattr(metrics_domain, "store", SimpleNamespace(
        day_key=lambda day: f"day#{day}", hour_key=lambda moment: f"hour#{moment:%Y-%m-%dT%H}",
        bump=lambda tx, key, fields, amount, expires_at=None: tx.write(f"counter:{key.split('#')[0]}")))

    def change_admin_count(tx, delta):
        def apply():
            world.admins += delta
        # The storage condition: lowering the count never takes it below one.
        tx.write("admins", apply, holds=delta > 0 or world.admins + delta >= 1)

    def update_user(tx, user, changes, now, *, revoke_tokens):
        current = world.users[user.id]
        tx.write("user", lambda: vars(current).update(changes, version=current.version + 1),
                 holds=current.version == user.version)

    monkeypatch.setattr(users_domain, "base", fake_base)
    monkeypatch.setattr(users_domain, "counters", SimpleNamespace(change_admin_count=change_admin_count))
    monkeypatch.setattr(users_domain, "users", SimpleNamespace(
        get=world.users.get, update_fields=update_user,
        delete=lambda tx, user: tx.write("user", lambda: world.users.pop(user.id))))

    def update_service(tx, service, changes, now):
        current = world.services[service.id]
        tx.write("service", lambda: vars(current).update(changes, version=current.version + 1),
                 holds=current.version == service.version)

    def claim_slot(tx, service_id, environment, deployment_id):
        service = world.services.get(service_id)
        tx.write("slot", lambda: service.active_slots.__setitem__(environment, deployment_id),
                 holds=service is not None and environment not in service.active_slots)

    def release_slot_of(service_id, environment, holder):
        slots = world.services[service_id].active_slots
        if slots.get(environment) != holder:
            return False
        del slots[environment]
        return True

    fake_services = SimpleNamespace(
        get=world.services.get, update_fields=update_service, require_owner=lambda tx, owner_id: None,
        active_slots=lambda record: dict(record.active_slots), last_deployment=lambda record, environment=None: None,
        environment_health=lambda record, environment: None, claim_slot=claim_slot, release_slot_of=release_slot_of)
    monkeypatch.setattr(services_domain, "base", fake_base)
    monkeypatch.setattr(services_domain, "store", fake_services)
    monkeypatch.setattr(services_domain, "user_store", SimpleNamespace(get=world.users.get))

    def new_deployment(deployment_id, *, service_id, version, environment, triggered_by, step_names, rollback_of,
                       execution_arn, now):
        return SimpleNamespace(
            id=deployment_id, service_id=service_id, version=version, environment=environment, status="PENDING",
            triggered_by=triggered_by, cancelled_by=None, current_step=None, error=None, rollback_of=rollback_of,
            execution_arn=execution_arn, created_at=now, started_at=None, finished_at=None,
            steps=[SimpleNamespace(name=name, status="pending", started_at=None, finished_at=None) for name in step_names])

    monkeypatch.setattr(deployments_domain, "base", fake_base)
    monkeypatch.setattr(deployments_domain, "services", fake_services)
    monkeypatch.setattr(deployments_domain, "store", SimpleNamespace(
        new_deployment=new_deployment, get=lambda deployment_id, consistent=False: world.deployments.get(deployment_id),
        add=lambda tx, record: tx.write("deployment", lambda: world.deployments.__setitem__(record.id, record)),
        execution_arn_for=lambda machine, name: f"{machine}:{name}",
        start_execution=lambda machine, name, payload: f"{machine}:{name}"))
    monkeypatch.setattr(deployments_domain, "get_settings", lambda: SimpleNamespace(
        state_machine_arn="arn:machine", step_time_scale=0, deploy_success_rate=100, log_retention_days=30))
    return world


def _user(world: World, user_id: str, role: str, *, disabled: bool = False) -> SimpleNamespace:
    user = SimpleNamespace(id=user_id, email=f"{user_id}@example.com", name=user_id, role=role, disabled=disabled,
                           created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z", version=1)
    world.users[user_id] = user
    world.admins += role == "admin" and not disabled
    return user


def _service(world: World, owner_id: str, **slots: str) -> SimpleNamespace:
    service = SimpleNamespace(id="11111111-1111-4111-8111-111111111111", name="payments", description="",
                              repository_url=None, owner_id=owner_id, lifecycle="experimental", tier=None, tags=[],
                              health="unknown", active_slots=dict(slots), created_at="2026-01-01T00:00:00.000Z",
                              updated_at="2026-01-01T00:00:00.000Z", version=3)
    world.services[service.id] = service
    return service


# --- users: the last enabled admin --------------------------------------------------------------


@pytest.mark.parametrize(("before", "after", "delta"), [
    (None, ("admin", False), 1),            # an admin created
    (None, ("developer", False), 0),
    (("admin", False), ("developer", False), -1),  # demoted
    (("admin", False), ("admin", True), -1),       # disabled
    (("admin", True), ("admin", False), 1),        # enabled again
    (("admin", True), None, 0),                    # a disabled admin deleted
    (("admin", False), None, -1),
    (("viewer", False), ("developer", False), 0),
])
def test_the_admin_count_moves_only_when_an_enabled_admin_appears_or_goes(before, after, delta):
    assert users_domain.admin_count_delta(before, after) == delta


def test_the_last_enabled_admin_cannot_be_demoted_disabled_or_deleted(world):
    _user(world, "admin-1", "admin")
    _user(world, "admin-2", "admin", disabled=True)
    for change in ({"role": "developer"}, {"disabled": True}):
        with pytest.raises(Conflict, match=users_domain.LAST_ADMIN):
            users_domain.update_user(ADMIN, "admin-1", **change)
    with pytest.raises(Conflict, match=users_domain.LAST_ADMIN):
        users_domain.delete_user(Caller(kind="user", id="someone", role="admin", request_id="r"), "admin-1")
    assert world.users["admin-1"].role == "admin" and not world.users["admin-1"].disabled
    assert world.admins == 1 and world.committed == []


def test_with_a_second_admin_one_may_step_down(world):
    _user(world, "admin-1", "admin")
    _user(world, "admin-2", "admin")
    after = users_domain.update_user(ADMIN, "admin-1", role="developer")
    assert after["role"] == "developer" and after["version"] == 2
    assert world.admins == 1


def test_nobody_deletes_themselves_and_a_stale_version_is_a_conflict(world):
    _user(world, "admin-1", "admin")
    _user(world, "dev-1", "developer")
    with pytest.raises(Conflict, match="yourself"):
        users_domain.delete_user(ADMIN, "admin-1")
    with pytest.raises(Conflict, match="at version 1, not 7"):
        users_domain.update_user(ADMIN, "dev-1", name="New", version=7)
    assert world.committed == []


# --- services: ownership and versions -----------------------------------------------------------


def test_only_the_owner_or_an_admin_may_change_a_service(world):
    service = _service(world, OWNER.id)
    with pytest.raises(Forbidden):
        services_domain.update_service(STRANGER, service.id, description="mine now")
    assert services_domain.update_service(OWNER, service.id, description="by the owner")["version"] == 4
    assert services_domain.update_service(ADMIN, service.id, description="by an admin")["version"] == 5
    assert world.services[service.id].description == "by an admin"


def test_a_developer_cannot_give_a_service_away_and_a_stale_version_is_a_conflict(world):
    service = _service(world, OWNER.id)
    with pytest.raises(Forbidden, match="owner"):
        services_domain.update_service(OWNER, service.id, owner_id=STRANGER.id)
    with pytest.raises(Conflict, match="at version 3, not 2"):
        services_domain.update_service(OWNER, service.id, version=2, description="late")
    assert world.committed == []


def test_an_update_that_changes_nothing_writes_nothing(world):
    service = _service(world, OWNER.id)
    unchanged = services_domain.update_service(OWNER, service.id, name="payments", tags=[])
    assert unchanged["version"] == 3 and world.committed == []


def test_a_service_holding_a_slot_cannot_be_deleted(world):
    service = _service(world, OWNER.id, production="d-1")
    with pytest.raises(Conflict, match="active deployment"):
        services_domain.delete_service(OWNER, service.id)


# --- deployments: the one-active-deployment slot and how a finish settles steps ------------------


def test_a_slot_held_by_an_active_deployment_refuses_a_second_one(world):
    service = _service(world, OWNER.id, production="d-1")
    world.deployments["d-1"] = SimpleNamespace(id="d-1", status="RUNNING")
    with pytest.raises(Conflict) as refused:
        deployments_domain.trigger(OWNER, service.id, "2.0", "production")
    assert refused.value.extra == {"active_deployment_id": "d-1"}
    assert service.active_slots == {"production": "d-1"} and world.committed == []


def test_a_slot_a_finished_deployment_never_released_is_freed_and_claimed(world):
    service = _service(world, OWNER.id, production="d-1")
    world.deployments["d-1"] = SimpleNamespace(id="d-1", status="SUCCESS")
    created = deployments_domain.trigger(OWNER, service.id, "2.0", "production")
    assert created["status"] == "PENDING" and service.active_slots == {"production": created["id"]}
    assert len(world.committed) == 1


def test_other_environments_and_unknown_services(world):
    service = _service(world, OWNER.id, production="d-1")
    world.deployments["d-1"] = SimpleNamespace(id="d-1", status="RUNNING")
    staging = deployments_domain.trigger(OWNER, service.id, "2.0", "staging")
    assert service.active_slots == {"production": "d-1", "staging": staging["id"]}
    with pytest.raises(NotFound):
        deployments_domain.trigger(OWNER, "22222222-2222-4222-8222-222222222222", "2.0", "staging")
    with pytest.raises(NotFound):
        deployments_domain.trigger(OWNER, "not-a-uuid", "2.0", "staging")


@pytest.mark.parametrize(("status", "expected"), [
    ("FAILED", [(2, "failed", True), (3, "skipped", False), (4, "skipped", False)]),
    ("CANCELLED", [(2, "skipped", True), (3, "skipped", False), (4, "skipped", False)]),
])
def test_finishing_settles_the_running_step_and_skips_the_rest(status, expected):
    steps = ["succeeded", "succeeded", "running", "pending", "pending"]
    assert deployments_domain.settled_steps(steps, status) == expected
    assert deployments_domain.settled_steps(["succeeded"] * 6, status) == []


# --- logins: the throttle window -----------------------------------------------------------------


def test_a_failed_login_counts_in_the_open_window_or_opens_a_new_one():
    assert auth_domain.starts_new_window(None, now=1_000, window_seconds=900)
    assert not auth_domain.starts_new_window(500, now=1_000, window_seconds=900)
    assert not auth_domain.starts_new_window(101, now=1_000, window_seconds=900)
    assert auth_domain.starts_new_window(100, now=1_000, window_seconds=900)  # that window just ended


# --- one retry policy for refused transactions --------------------------------------------------


@pytest.mark.parametrize(("refusal", "nested", "sends"), [
    # Another transaction held an item: sent again, at most ATTEMPTS times even when retries wrap each other.
    ({"transaction-conflict"}, True, deployments_domain.base.ATTEMPTS),
    # A condition failed: not sent again unless the caller asks (it must read again first).
    ({"name"}, False, 1),
])
def test_a_refused_transaction_is_sent_again_only_within_one_bound(refusal, nested, sends):
    sent = []

    def commit():
        sent.append(1)
        raise TransactionCancelled(set(refusal), [])

    with pytest.raises(TransactionCancelled):
        if nested:
            with_retries(lambda: with_retries(commit), when=lambda cancelled: True)
        else:
            with_retries(commit)
    assert len(sent) == sends
