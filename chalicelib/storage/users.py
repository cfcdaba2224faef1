"""Users table, the uniqueness guards that keep emails unique, and the enabled-admin counter."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.storage.base import ByListIndex, Page, TableModel, query_page, region, table_name
from chalicelib.storage.base import get_many as get_many_items

LIST_PK = "user"


class UserRecord(TableModel):
    class Meta:
        table_name = table_name("users")
        region = region()

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


class UniqueRecord(TableModel):
    """One item per unique value (``user-email#a@b.c``, ``service-name#x``): written in the same
    transaction as its owner with ``attribute_not_exists``, so uniqueness holds under races."""

    class Meta:
        table_name = table_name("uniques")
        region = region()

    pk = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()


class CounterRecord(TableModel):
    """Small counters: the enabled-admin count, login throttles, daily metrics."""

    class Meta:
        table_name = table_name("counters")
        region = region()

    pk = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    window_start = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)


ADMIN_COUNTER = "enabled-admins"


def email_guard_key(email: str) -> str:
    return f"user-email#{email}"


def get(user_id: str) -> UserRecord | None:
    return UserRecord.find(user_id)


def get_by_email(email: str) -> UserRecord | None:
    guard = UniqueRecord.find(email_guard_key(email))
    if guard is None:
        return None
    return get(guard.owner_id)


def list_page(limit: int, start_key: dict | None) -> Page[UserRecord]:
    return query_page(UserRecord.by_list, LIST_PK, limit=limit, start_key=start_key)


def get_counter(key: str) -> CounterRecord | None:
    return CounterRecord.find(key)


def get_many(user_ids: list[str]) -> dict[str, UserRecord]:
    """The existing users among ``user_ids``, by id: one BatchGetItem (up to 100 ids)."""
    return get_many_items(UserRecord, user_ids)
