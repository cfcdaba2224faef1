"""Passwords (bcrypt), tokens (JWT HS256) and SDK-key secrets. No HTTP, no storage."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from chalicelib.core import clock
from chalicelib.core.settings import get_settings

ALGORITHM = "HS256"
SDK_KEY_PREFIX = "idp_sk_"
ROLES = ("viewer", "developer", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


class InvalidToken(Exception):
    pass


@functools.lru_cache(maxsize=1)
def jwt_secret() -> str:
    """The signing secret: ``IDP_JWT_SECRET`` locally, an SSM SecureString on AWS (read once per
    instance; a failed read is not cached, so the next request tries again)."""
    settings = get_settings()
    if settings.jwt_secret:
        return settings.jwt_secret
    from chalicelib.core.aws import client
    from chalicelib.core.settings import SettingsError

    name = settings.jwt_secret_parameter
    parameter = client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    # The same rules as the local secret: a plain String would sit unencrypted, a short one is weak.
    if parameter.get("Type") != "SecureString":
        raise SettingsError(f"SSM parameter {name} must be a SecureString, not {parameter.get('Type')}")
    if len(parameter["Value"]) < 32:
        raise SettingsError(f"SSM parameter {name} must hold at least 32 characters")
    return parameter["Value"]


def derived_key(purpose: str) -> bytes:
    """A key for another purpose (cursors, ETags) derived from the one secret."""
    return hmac.new(jwt_secret().encode(), purpose.encode(), hashlib.sha256).digest()


# bcrypt is imported lazily: it is only needed by login and user writes, not on cold start of
# every other route.
def hash_password(password: str) -> str:
    import bcrypt

    rounds = get_settings().bcrypt_rounds
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=rounds)).decode()


def verify_password(password: str, password_hash: str | None) -> bool:
    import bcrypt

    if password_hash is None:
        # Unknown user: spend the same bcrypt work so timing does not reveal which emails exist.
        bcrypt.checkpw(_prehash(password), _dummy_hash())
        return False
    return bcrypt.checkpw(_prehash(password), password_hash.encode())


def _prehash(password: str) -> bytes:
    # bcrypt reads at most 72 bytes (and bcrypt 5 refuses more); a 128-character password can be
    # 512 bytes of UTF-8. SHA-256 then base64 keeps every character significant in 44 bytes.
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> bytes:
    import bcrypt

    return bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(rounds=get_settings().bcrypt_rounds))


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    role: str
    issued_at: int
    token_id: str
    generation: int


# PyJWT (and the cryptography it pulls in) is imported on first use, not on cold start of routes
# that never see a token (/health, /openapi.json).
def issue_token(user_id: str, role: str, generation: int) -> tuple[str, int]:
    import jwt

    settings = get_settings()
    issued = clock.epoch()
    ttl = settings.token_ttl_seconds
    claims = {
        "sub": user_id,
        "role": role,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": clock.new_id(),
        "gen": int(generation),
    }
    return jwt.encode(claims, jwt_secret(), algorithm=ALGORITHM), ttl


def decode_token(token: str) -> TokenClaims:
    import jwt

    settings = get_settings()
    try:
        claims = jwt.decode(
            token,
            jwt_secret(),
            algorithms=[ALGORITHM],  # pinned: "none" and every other algorithm are refused
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "role", "iat", "exp", "iss", "aud", "jti", "gen"]},
            leeway=5,
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    subject, role, issued, generation = claims.get("sub"), claims.get("role"), claims.get("iat"), claims.get("gen")
    # NumericDates are numbers (RFC 7519): PyJWT would also take "exp": "1700000000".
    times_ok = all(type(claims.get(name, 0)) is int for name in ("iat", "exp", "nbf"))
    if (not isinstance(subject, str) or role not in ROLE_RANK or not times_ok
            or type(issued) is not int or type(generation) is not int):
        raise InvalidToken("malformed claims")
    if issued > clock.epoch() + 60:
        raise InvalidToken("issued in the future")
    return TokenClaims(subject=subject, role=role, issued_at=issued, token_id=str(claims["jti"]),
                       generation=generation)


def new_sdk_key() -> str:
    return SDK_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_sdk_key(key: str) -> str:
    # The key carries 256 bits of randomness, so a fast hash is enough (no bcrypt needed) and lets
    # the authorizer find the key by its hash with one Query. Not keyed by the JWT secret, so that
    # rotating that secret does not revoke every SDK key.
    return hashlib.sha256(key.encode()).hexdigest()
