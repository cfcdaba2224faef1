"""Users and roles. The enabled-admin counter, updated in the same transaction as the user, keeps
"never remove the last admin" true even when two admins demote each other at the same moment."""
from __future__ import annotations

from chalicelib.core import clock, ids, security
from chalicelib.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.domain import audit
from chalicelib.domain.caller import Caller
from chalicelib.storage import base, counters, users
from chalicelib.storage.base import TransactionCancelled

LAST_ADMIN = "the platform must keep at least one enabled admin"


def user_to_dict(record) -> dict:
    return {
        "id": record.id,
        "email": record.email,
        "name": record.name,
        "role": record.role,
        "disabled": bool(record.disabled),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "version": int(record.version),
    }


def _is_enabled_admin(role: str, disabled: bool) -> bool:
    return role == "admin" and not disabled


def admin_count_delta(before: tuple[str, bool] | None, after: tuple[str, bool] | None) -> int:
    """How a change moves the enabled-admin count: ``before`` and ``after`` are (role, disabled),
    None for a user that does not exist (yet, or any more)."""
    was = before is not None and _is_enabled_admin(*before)
    will = after is not None and _is_enabled_admin(*after)
    return int(will) - int(was)


def _admin_count_change(transaction, delta: int) -> None:
    if delta:
        # Lowering it refuses (and so cancels the whole transaction) when it would remove the last admin.
        counters.change_admin_count(transaction, delta)


def create_user(caller: Caller, email: str, name: str, password: str, role: str) -> dict:
    email = email.lower()
    now = clock.now_iso()
    user_id = clock.new_id()
    record = users.new_user(user_id, email=email, name=name, role=role,
                            password_hash=security.hash_password(password), now=now)
    after = user_to_dict(record)
    try:
        with base.transaction() as transaction:
            users.add(transaction, record)
            _admin_count_change(transaction, admin_count_delta(None, (role, False)))
            audit.record(transaction, caller, "user.create", user_id, audit.diff(None, after))
    except TransactionCancelled as cancelled:
        if "email" in cancelled.failed:
            raise Conflict(f"a user with email {email} already exists") from None
        raise
    return after


def get_user(caller: Caller, user_id: str) -> dict:
    if not caller.is_admin and caller.id != user_id:
        raise Forbidden("you may only read your own user")
    user_id = ids.require(user_id, "user")
    record = users.get(user_id)
    if record is None:
        raise NotFound(f"user {user_id} not found")
    return user_to_dict(record)


def list_users(limit: int, cursor: str | None) -> dict:
    page = users.list_page(limit, decode_cursor("users", cursor))
    return {"items": [user_to_dict(r) for r in page.items], "next_cursor": encode_cursor("users", page.last_key)}


def person_to_dict(record) -> dict:
    """The directory entry of a user: what any signed-in user may know of another."""
    return {"id": record.id, "name": record.name, "email": record.email}


def list_people(limit: int, cursor: str | None, ids: tuple[str, ...] | None = None) -> dict:
    """The directory, newest first (one Query on ``by_list``). With ``ids``: those users, in the
    order asked, from one BatchGetItem; unknown ids are simply absent, and a cursor resumes after
    the last id returned."""
    if ids is None:
        page = users.list_page(limit, decode_cursor("people", cursor))
        return {"items": [person_to_dict(r) for r in page.items],
                "next_cursor": encode_cursor("people", page.last_key)}
    scope = "people|ids=" + ",".join(ids)
    start = decode_cursor(scope, cursor)
    position = 0
    if start is not None:
        if start.get("after") not in ids:
            raise ValidationFailed.field("cursor", "cursor is invalid or belongs to another list")
        position = ids.index(start["after"]) + 1
    wanted = ids[position:]
    found = users.get_many(list(wanted))
    ordered = [found[user_id] for user_id in wanted if user_id in found]
    page_items = ordered[:limit]
    more = len(ordered) > limit
    return {"items": [person_to_dict(r) for r in page_items],
            "next_cursor": encode_cursor(scope, {"after": page_items[-1].id}) if more else None}


def _load_for_write(user_id: str, expected_version: int | None):
    record = users.get(user_id)
    if record is None:
        raise NotFound(f"user {user_id} not found")
    if expected_version is not None and expected_version != record.version:
        raise Conflict(f"user {user_id} is at version {record.version}, not {expected_version}")
    return record


def update_user(caller: Caller, user_id: str, *, name: str | None = None, role: str | None = None,
                disabled: bool | None = None, version: int | None = None) -> dict:
    record = _load_for_write(user_id, version)
    before = user_to_dict(record)
    wanted = {"name": name, "role": role, "disabled": disabled}
    changes = {field: value for field, value in wanted.items() if value is not None and value != before[field]}
    if not changes:
        return before
    delta = admin_count_delta((record.role, bool(record.disabled)),
                              (role if role is not None else record.role,
                               disabled if disabled is not None else bool(record.disabled)))
    now = clock.now_iso()
    after = {**before, **changes, "updated_at": now, "version": before["version"] + 1}
    try:
        with base.transaction() as transaction:
            # A new role or a disable ends the user's earlier tokens.
            users.update_fields(transaction, record, changes, now,
                                revoke_tokens="role" in changes or changes.get("disabled") is True)
            _admin_count_change(transaction, delta)
            audit.record(transaction, caller, "user.update", user_id,
                         audit.diff(before, after, ["name", "role", "disabled"]))
    except TransactionCancelled as cancelled:
        raise _conflict(cancelled, user_id) from None
    return after


def delete_user(caller: Caller, user_id: str) -> None:
    if caller.id == user_id:
        raise Conflict("you cannot delete yourself")
    record = _load_for_write(user_id, None)
    before = user_to_dict(record)
    try:
        with base.transaction() as transaction:
            users.delete(transaction, record)
            _admin_count_change(transaction, admin_count_delta((record.role, bool(record.disabled)), None))
            audit.record(transaction, caller, "user.delete", user_id, audit.diff(before, None))
    except TransactionCancelled as cancelled:
        raise _conflict(cancelled, user_id) from None


def _conflict(cancelled: TransactionCancelled, user_id: str) -> Conflict:
    if "admins" in cancelled.failed:
        return Conflict(LAST_ADMIN)
    return Conflict(f"user {user_id} was changed concurrently; reload and retry")


def ensure_admin(email: str, name: str, password: str) -> tuple[dict, bool]:
    """Provisioning: create the first admin unless a user with that email exists (idempotent).
    Returns the user and whether it was created."""
    existing = users.get_by_email(email.lower())
    if existing is not None:
        return user_to_dict(existing), False
    system = Caller(kind="system", email="provisioning", request_id="provisioning")
    try:
        return create_user(system, email, name, password, "admin"), True
    except Conflict:
        return user_to_dict(users.get_by_email(email.lower())), False
