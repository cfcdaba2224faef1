"""Authentication: logins with throttling, bearer credentials to callers, password changes."""
from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.core import clock, security
from chalicelib.core.errors import Forbidden, TooManyRequests, Unauthorized, ValidationFailed
from chalicelib.core.settings import get_settings
from chalicelib.domain import audit, metrics
from chalicelib.domain.caller import Caller
from chalicelib.domain.users import user_to_dict
from chalicelib.storage import base, counters, sdk_keys, users

INVALID_CREDENTIALS = "invalid email or password"


class TtlCache:
    """Per-instance cache of credential lookups. With a TTL of 0 nothing is cached, so a disabled
    user or revoked key is refused on the very next request."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, object]] = {}

    def get_or_load(self, key: str, ttl: int, load: Callable[[], object]) -> object:
        if ttl <= 0:
            return load()
        hit = self._entries.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


credential_cache = TtlCache()


def _throttle_key(email: str) -> str:
    return f"login-failures#{email}"


def _throttled_for(counter: counters.CounterRecord | None) -> int:
    """Seconds until the email of this failure counter may try again (0 when it may try now)."""
    settings = get_settings()
    if counter is None or counter.window_start is None:
        return 0
    window_end = int(counter.window_start) + settings.login_window_seconds
    remaining = window_end - clock.epoch()
    if remaining > 0 and counter.value >= settings.login_max_failures:
        return remaining
    return 0


def starts_new_window(window_start: int | None, now: int, window_seconds: int) -> bool:
    """A failure opens a new throttle window when there is none yet or the last one has ended."""
    return window_start is None or window_start + window_seconds <= now


def _record_failure(transaction: base.Transaction, email: str, counter: counters.CounterRecord | None) -> None:
    """Count a failure on ``counter`` as read (the write is conditioned on its window, so a counter
    that moved meanwhile cancels the transaction and the caller reads it again)."""
    settings = get_settings()
    now = clock.epoch()
    window_start = int(counter.window_start) if counter is not None and counter.window_start is not None else None
    if window_start is None or starts_new_window(window_start, now, settings.login_window_seconds):
        counters.start_window(transaction, _throttle_key(email), previous_start=window_start,
                              exists=counter is not None, now=now,
                              expires_at=now + settings.login_window_seconds + 60)
    else:
        counters.count_in_window(transaction, _throttle_key(email), window_start)


def login(email: str, password: str, caller: Caller) -> dict:
    email_typed = email
    email = email.strip().lower()
    counter = counters.get(_throttle_key(email))
    retry_after = _throttled_for(counter)
    if retry_after:
        # Throttled: no bcrypt work and no audit entry, as the contract says.
        raise TooManyRequests("too many failed logins for this email; try again later", retry_after)
    user = users.get_by_email(email)
    password_ok = security.verify_password(password, user.password_hash if user else None)
    if user is not None and password_ok and not user.disabled:
        token, expires_in = security.issue_token(user.id, user.role, int(user.token_generation))
        # The day counter is shared: a concurrent transaction on it is retried by the transaction itself.
        with base.transaction() as transaction:
            counters.clear(transaction, _throttle_key(email))
            audit.record(transaction, caller, "auth.login", user.id, actor_id=user.id, actor_email=user.email)
            metrics.bump_daily(transaction, "logins_succeeded")
        metrics.count(metrics.LOGIN_SUCCEEDED)
        return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "user": user_to_dict(user)}

    first_try = True

    def count_failure() -> None:
        nonlocal first_try
        current = counter if first_try else counters.get(_throttle_key(email))
        first_try = False
        with base.transaction() as transaction:
            _record_failure(transaction, email, current)
            audit.record(transaction, caller, "auth.login_failed", user.id if user else None,
                         actor_id=None, actor_email=email_typed)
            metrics.bump_daily(transaction, "logins_failed")

    # A concurrent failure may move the window under us: read it again and retry.
    base.with_retries(count_failure, when=lambda cancelled: True)
    metrics.count(metrics.LOGIN_FAILED)
    raise Unauthorized(INVALID_CREDENTIALS)


def _load_user(user_id: str) -> users.UserRecord | None:
    return users.get(user_id)


def _load_sdk_key(key_hash: str) -> sdk_keys.SdkKeyRecord | None:
    return sdk_keys.find_by_hash(key_hash)


def _sdk_key_caller(key: str, *, request_id: str, source_ip: str | None) -> Caller:
    key_hash = security.hash_sdk_key(key)
    record = credential_cache.get_or_load(f"sdk:{key_hash}", get_settings().auth_cache_seconds,
                                          lambda: _load_sdk_key(key_hash))
    # The cache is shared with users (its values are objects): a record, or None for no such key.
    if not isinstance(record, sdk_keys.SdkKeyRecord):
        raise Unauthorized("unknown or revoked SDK key")
    return Caller(kind="sdk_key", id=record.id, environment=record.environment,
                  request_id=request_id, source_ip=source_ip)


def authenticate(authorization: str | None, *, api_key: str | None = None, request_id: str,
                 source_ip: str | None) -> Caller:
    """Turn an ``Authorization`` header into a caller, or raise Unauthorized. ``api_key`` is an
    ``X-API-Key`` header, passed only by routes that take one (OFREP's ApiKeyAuth): it holds an SDK
    key, never a user's token, and cannot be combined with ``Authorization``."""
    if api_key is not None:
        if authorization:
            raise Unauthorized("send one credential: Authorization or X-API-Key, not both")
        api_key = api_key.strip()
        if not api_key.startswith(security.SDK_KEY_PREFIX) or len(api_key) > 4096:
            raise Unauthorized(f"X-API-Key takes an SDK key ({security.SDK_KEY_PREFIX}...)")
        return _sdk_key_caller(api_key, request_id=request_id, source_ip=source_ip)
    if not authorization:
        raise Unauthorized("missing credentials: send Authorization: Bearer <token>")
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential or len(credential) > 4096:
        raise Unauthorized("malformed Authorization header: expected Bearer <token>")
    if credential.startswith(security.SDK_KEY_PREFIX):
        return _sdk_key_caller(credential, request_id=request_id, source_ip=source_ip)
    ttl = get_settings().auth_cache_seconds
    try:
        claims = security.decode_token(credential)
    except security.InvalidToken:
        raise Unauthorized("invalid or expired token") from None
    user = credential_cache.get_or_load(f"user:{claims.subject}", ttl, lambda: _load_user(claims.subject))
    if not isinstance(user, users.UserRecord) or user.disabled:
        raise Unauthorized("unknown or disabled user")
    if user.role != claims.role or user.token_generation != claims.generation:
        raise Unauthorized("token revoked: sign in again")
    return Caller(kind="user", id=user.id, email=user.email, role=user.role,
                  request_id=request_id, source_ip=source_ip)


def authorize(caller: Caller, min_role: str, sdk_key_allowed: bool) -> None:
    if caller.kind == "sdk_key":
        if not sdk_key_allowed:
            raise Forbidden("an SDK key may only call the flag evaluation endpoints")
        return
    if not caller.has_role(min_role):
        raise Forbidden(f"this action needs the {min_role} role")


def change_password(caller: Caller, current_password: str, new_password: str) -> None:
    user = users.get(caller.user_id)
    if user is None:
        raise Unauthorized("unknown user")
    if not security.verify_password(current_password, user.password_hash):
        raise ValidationFailed.field("current_password", "current password is wrong")
    now = clock.now_iso()
    with base.transaction() as transaction:
        users.set_password(transaction, user, security.hash_password(new_password), now)
        # The change is recorded without its values: secrets never reach the audit trail.
        audit.record(transaction, caller, "auth.password_change", user.id,
                     {"password": {"from": "[redacted]", "to": "[redacted]"}})
    credential_cache.clear()
