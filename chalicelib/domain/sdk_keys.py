"""SDK keys: credentials for flag evaluation in one environment. The secret is returned once, at
creation; only its SHA-256 is stored. Revoking deletes the item, so the authorizer (which finds a
key by its hash) refuses it as soon as its credential cache forgets it: at once on this instance,
within ``IDP_AUTH_CACHE_SECONDS`` on the others."""
from __future__ import annotations

from chalicelib.core import clock, security
from chalicelib.core.errors import NotFound
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.domain import audit
from chalicelib.domain.auth import credential_cache
from chalicelib.domain.caller import Caller
from chalicelib.storage import base
from chalicelib.storage import sdk_keys as store
from chalicelib.storage.base import TransactionCancelled

PREFIX_LENGTH = 12  # "idp_sk_" and 5 characters of the secret: enough to recognise a key


def key_to_dict(record) -> dict:
    return {
        "id": record.id,
        "name": record.name,
        "environment": record.environment,
        "key_prefix": record.key_prefix,
        "created_by": record.created_by,
        "created_at": record.created_at,
    }


def create_key(caller: Caller, name: str, environment: str) -> dict:
    secret = security.new_sdk_key()
    now = clock.now_iso()
    key_id = clock.new_id()
    record = store.new_key(key_id, name=name, environment=environment, key_hash=security.hash_sdk_key(secret),
                           key_prefix=secret[:PREFIX_LENGTH], created_by=caller.id, now=now)
    after = key_to_dict(record)
    with base.transaction() as transaction:
        store.add(transaction, record)
        audit.record(transaction, caller, "sdk_key.create", key_id, audit.diff(None, after))
    return {**after, "key": secret}


def list_keys(limit: int, cursor: str | None) -> dict:
    page = store.list_page(limit, decode_cursor("sdk_keys", cursor))
    return {"items": [key_to_dict(r) for r in page.items], "next_cursor": encode_cursor("sdk_keys", page.last_key)}


def delete_key(caller: Caller, key_id: str) -> None:
    record = store.get(key_id)
    if record is None:
        raise NotFound(f"SDK key {key_id} not found")
    try:
        with base.transaction() as transaction:
            store.delete(transaction, record)
            audit.record(transaction, caller, "sdk_key.delete", key_id, audit.diff(key_to_dict(record), None))
    except TransactionCancelled as cancelled:
        if "key" in cancelled.failed:
            raise NotFound(f"SDK key {key_id} not found") from None
        raise
    # This instance forgets every cached credential now; other instances within their TTL.
    credential_cache.clear()
