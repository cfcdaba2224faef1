"""Users table; each user's email is held unique by a ``uniques`` claim written with it."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core import clock
from chalicelib.storage import uniques
from chalicelib.storage.base import ByListIndex, Page, TableModel, Transaction, query_page, table_meta
from chalicelib.storage.base import get_many as get_many_items

LIST_PK = "user"


class UserRecord(TableModel):
    Meta = table_meta("users")

    id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    disabled = BooleanAttribute(default=False)
    password_hash = UnicodeAttribute()
    # Carried in every token; bumping it (password change, role change, disable) voids older ones.
    token_generation = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    list_pk = UnicodeAttribute(default=LIST_PK)
    sort_key = UnicodeAttribute()

    by_list = ByListIndex()




def email_guard_key(email: str) -> str:
    return f"user-email#{email}"


def get(user_id: str) -> UserRecord | None:
    return UserRecord.find(user_id)


def get_by_email(email: str) -> UserRecord | None:
    owner = uniques.owner_of(email_guard_key(email))
    return get(owner) if owner is not None else None


def list_page(limit: int, start_key: dict | None) -> Page[UserRecord]:
    return query_page(UserRecord.by_list, LIST_PK, limit=limit, start_key=start_key)


def get_many(user_ids: list[str]) -> dict[str, UserRecord]:
    """The existing users among ``user_ids``, by id: one BatchGetItem (up to 100 ids)."""
    return get_many_items(UserRecord, user_ids)


def new_user(user_id: str, *, email: str, name: str, role: str, password_hash: str, now: str) -> UserRecord:
    """A user not yet written (see :func:`add`)."""
    return UserRecord(user_id, email=email, name=name, role=role, disabled=False, password_hash=password_hash,
                      token_generation=0, created_at=now, updated_at=now, version=1,
                      sort_key=clock.sort_key(now, user_id))


def add(tx: Transaction, user: UserRecord) -> None:
    """Write a new user and claim its email (label ``email`` when the email is taken)."""
    tx.save(user, condition=UserRecord.id.does_not_exist())
    uniques.claim(tx, email_guard_key(user.email), user.id, label="email")


def update_fields(tx: Transaction, user: UserRecord, changes: dict, now: str, *, revoke_tokens: bool) -> None:
    """Set ``changes`` on the user as read (refused, label ``user``, when its version moved);
    ``revoke_tokens`` ends every token issued before."""
    actions = [getattr(UserRecord, field).set(value) for field, value in changes.items()]
    actions += [UserRecord.updated_at.set(now), UserRecord.version.add(1)]
    if revoke_tokens:
        actions.append(UserRecord.token_generation.add(1))
    tx.update(user, actions=actions, condition=UserRecord.version == user.version, label="user")


def set_password(tx: Transaction, user: UserRecord, password_hash: str, now: str) -> None:
    """The new password's hash; every earlier token ends."""
    tx.update(user, actions=[UserRecord.password_hash.set(password_hash), UserRecord.token_generation.add(1),
                             UserRecord.updated_at.set(now), UserRecord.version.add(1)],
              condition=UserRecord.version == user.version)


def delete(tx: Transaction, user: UserRecord) -> None:
    """Delete the user as read (label ``user`` when it changed meanwhile) and free its email."""
    tx.delete(user, condition=UserRecord.version == user.version, label="user")
    uniques.release(tx, email_guard_key(user.email))


def check_exists(tx: Transaction, user_id: str, *, label: str) -> None:
    """Refused (``label``) when no such user exists at commit time."""
    tx.check(UserRecord, user_id, UserRecord.id.exists(), label=label)
