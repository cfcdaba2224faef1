"""SDK keys: only the SHA-256 of the secret is stored; the authorizer finds a key by that hash."""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.core import clock
from chalicelib.storage.base import ByListIndex, Page, TableModel, Transaction, index_meta, query_page, table_meta

LIST_PK = "sdk_key"


class _ByHash(GlobalSecondaryIndex):
    Meta = index_meta("by_hash")

    key_hash = UnicodeAttribute(hash_key=True)


class SdkKeyRecord(TableModel):
    Meta = table_meta("sdk-keys")

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    environment = UnicodeAttribute()
    key_hash = UnicodeAttribute()
    key_prefix = UnicodeAttribute()  # the first characters, to recognise a key in the list
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    list_pk = UnicodeAttribute(default=LIST_PK)
    sort_key = UnicodeAttribute()

    by_list = ByListIndex()
    by_hash = _ByHash()


def get(key_id: str) -> SdkKeyRecord | None:
    return SdkKeyRecord.find(key_id)


def find_by_hash(key_hash: str) -> SdkKeyRecord | None:
    for record in SdkKeyRecord.by_hash.query(key_hash, limit=1):
        return record
    return None


def list_page(limit: int, start_key: dict | None) -> Page[SdkKeyRecord]:
    return query_page(SdkKeyRecord.by_list, LIST_PK, limit=limit, start_key=start_key)


def new_key(key_id: str, *, name: str, environment: str, key_hash: str, key_prefix: str, created_by: str | None,
            now: str) -> SdkKeyRecord:
    return SdkKeyRecord(key_id, name=name, environment=environment, key_hash=key_hash, key_prefix=key_prefix,
                        created_by=created_by, created_at=now, sort_key=clock.sort_key(now, key_id))


def add(tx: Transaction, key: SdkKeyRecord) -> None:
    tx.save(key, condition=SdkKeyRecord.id.does_not_exist())


def delete(tx: Transaction, key: SdkKeyRecord) -> None:
    """Refused (label ``key``) when it was deleted meanwhile."""
    tx.delete(key, condition=SdkKeyRecord.id.exists(), label="key")
