"""Login, tokens, throttling and password changes."""
from __future__ import annotations

import base64
import json
import time

import jwt

from tests.conftest import TEST_ENV, overridden_settings
from tests.integration.conftest import ADMIN_PASSWORD
from tests.support import count_aws_calls

SECRET = TEST_ENV["IDP_JWT_SECRET"]


def _audit(api, admin, **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    reply = api.get(f"/audit?limit=100&{query}", token=admin.token)
    assert reply.status == 200, reply.body
    return reply.body["items"]


def test_login_returns_a_bearer_token_and_the_user(api, admin):
    reply = api.post("/auth/login", {"email": "ADMIN@example.com", "password": ADMIN_PASSWORD})
    assert reply.status == 200
    assert reply.body["token_type"] == "Bearer"
    assert reply.body["expires_in"] == 3600
    assert reply.body["user"]["email"] == "admin@example.com"
    assert "password_hash" not in json.dumps(reply.body)
    assert reply.header("Cache-Control") == "no-store"
    claims = jwt.decode(reply.body["access_token"], SECRET, algorithms=["HS256"], audience="idp-api")
    assert {"sub", "role", "iat", "exp", "iss", "aud", "jti"} <= set(claims)
    me = api.get("/auth/me", token=reply.body["access_token"])
    assert me.status == 200 and me.body["role"] == "admin"


def test_wrong_password_and_unknown_email_look_the_same(api, admin):
    wrong = api.post("/auth/login", {"email": "admin@example.com", "password": "not-the-password"})
    unknown = api.post("/auth/login", {"email": "nobody@example.com", "password": "not-the-password"})
    assert wrong.status == unknown.status == 401
    assert wrong.body["detail"] == unknown.body["detail"]
    assert wrong.header("Content-Type") == "application/problem+json"
    failed = _audit(api, admin, action="auth.login_failed")
    by_email = {entry["actor_email"]: entry for entry in failed}
    assert by_email["nobody@example.com"]["actor_id"] is None
    assert by_email["nobody@example.com"]["resource_id"] is None
    assert by_email["admin@example.com"]["resource_id"] == admin.id


def test_five_failures_throttle_even_the_right_password_without_audit(api, admin):
    for _ in range(5):
        assert api.post("/auth/login", {"email": "Admin@Example.com", "password": "wrong-password"}).status == 401
    before = len(_audit(api, admin))
    throttled = api.post("/auth/login", {"email": "admin@example.com", "password": ADMIN_PASSWORD})
    assert throttled.status == 429
    assert 0 < int(throttled.header("Retry-After")) <= 900
    assert len(_audit(api, admin)) == before  # a 429 writes nothing


def test_success_clears_the_failure_count(api, admin):
    for _ in range(4):
        api.post("/auth/login", {"email": "admin@example.com", "password": "wrong-password"})
    assert api.post("/auth/login", {"email": "admin@example.com", "password": ADMIN_PASSWORD}).status == 200
    for _ in range(4):
        api.post("/auth/login", {"email": "admin@example.com", "password": "wrong-password"})
    assert api.post("/auth/login", {"email": "admin@example.com", "password": ADMIN_PASSWORD}).status == 200


def _forge(claims: dict, key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def test_token_attacks_are_refused(api, admin, viewer):
    good = jwt.decode(viewer.token, SECRET, algorithms=["HS256"], audience="idp-api")
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(good).encode()).rstrip(b"=").decode()
    attacks = {
        "alg none": f"{header}.{body}.",
        "wrong key": _forge(good, "another-secret-that-is-long-enough-xx"),
        "expired": _forge({**good, "iat": int(time.time()) - 7200, "nbf": int(time.time()) - 7200,
                           "exp": int(time.time()) - 3600}),
        "wrong audience": _forge({**good, "aud": "someone-else"}),
        "wrong issuer": _forge({**good, "iss": "someone-else"}),
        "role edited": viewer.token.split(".")[0] + "." + base64.urlsafe_b64encode(
            json.dumps({**good, "role": "admin"}).encode()).rstrip(b"=").decode() + "." + viewer.token.split(".")[2],
        "role re-signed without a matching user": _forge({**good, "role": "admin"}),
        "missing exp": _forge({k: v for k, v in good.items() if k != "exp"}),
        "far-future iat": _forge({**good, "iat": int(time.time()) + 86400}),
        "garbage": "not.a.token",
        "HS512": _forge(good, algorithm="HS512"),
    }
    for name, token in attacks.items():
        reply = api.get("/auth/me", token=token)
        assert reply.status == 401, name
        assert reply.header("Content-Type") == "application/problem+json", name
    assert api.get("/auth/me", token=viewer.token).status == 200


def test_missing_or_malformed_authorization_is_401(api, admin):
    assert api.get("/auth/me").status == 401
    assert api.get("/auth/me", headers={"Authorization": "Basic abc"}).status == 401
    assert api.get("/auth/me", headers={"Authorization": "Bearer"}).status == 401


def test_password_change_ends_earlier_tokens(api, admin, make_user):
    session = make_user("developer", email="dev@example.com", password="first-password")
    wrong = api.post("/auth/password", {"current_password": "nope-nope-nope", "new_password": "second-password"},
                     token=session.token)
    assert wrong.status == 400 and wrong.body["errors"][0]["field"] == "current_password"
    short = api.post("/auth/password", {"current_password": "first-password", "new_password": "short"},
                     token=session.token)
    assert short.status == 400 and short.body["errors"][0]["field"] == "new_password"
    ok = api.post("/auth/password", {"current_password": "first-password", "new_password": "second-password"},
                  token=session.token)
    assert ok.status == 204
    assert api.get("/auth/me", token=session.token).status == 401
    assert api.post("/auth/login", {"email": "dev@example.com", "password": "first-password"}).status == 401
    fresh = api.login("dev@example.com", "second-password")
    assert api.get("/auth/me", token=fresh.token).status == 200
    entries = _audit(api, admin, action="auth.password_change")
    assert len(entries) == 1 and entries[0]["actor_id"] == session.id
    assert "second-password" not in json.dumps(entries)


def test_a_warm_authorizer_makes_no_aws_call(api, admin):
    with overridden_settings(IDP_AUTH_CACHE_SECONDS="60"):
        api.get("/auth/me", token=admin.token)
        with count_aws_calls() as calls:
            assert api.get("/openapi.json", token=admin.token).status == 200
            assert api.get("/auth/me", token=admin.token).status == 200
    # /auth/me reads the user once for the body; the authorizer itself is served from the cache.
    assert calls.count("dynamodb") == 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw_token(header: dict, claims: dict, sign=lambda signing_input: b"") -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def test_more_token_attacks_are_refused(api, admin, viewer):
    """Beyond test_token_attacks_are_refused: algorithm confusion, header tricks, claims the server
    must require, and credentials of the wrong shape. Each is a 401 problem, never a 500."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    good = jwt.decode(viewer.token, SECRET, algorithms=["HS256"], audience="idp-api")
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    header, payload, signature = viewer.token.split(".")
    now = int(time.time())
    attacks = {
        **{f"alg {alg!r}, no signature": _raw_token({"alg": alg, "typ": "JWT"}, good)
           for alg in ("none", "None", "NONE", "nOnE")},
        "alg none keeping the real signature": _raw_token({"alg": "none"}, good).rsplit(".", 1)[0] + "." + signature,
        "HS256 with an empty signature": _raw_token({"alg": "HS256", "typ": "JWT"}, good),
        "RS256 signed with the attacker's key": jwt.encode(good, private_key, algorithm="RS256"),
        # Key confusion: an HS256 token whose HMAC secret is a public key the attacker knows.
        "HS256 with a public key as the secret": _raw_token(
            {"alg": "HS256", "typ": "JWT"}, good, lambda data: hmac.new(public_pem, data, hashlib.sha256).digest()),
        "HS256 with an empty secret": _raw_token(
            {"alg": "HS256", "typ": "JWT"}, good, lambda data: hmac.new(b"", data, hashlib.sha256).digest()),
        "kid pointing at an empty file": _raw_token(
            {"alg": "HS256", "kid": "../../../../dev/null"}, good, lambda data: hmac.new(b"", data, hashlib.sha256).digest()),
        "embedded jwk": _raw_token({"alg": "HS256", "jwk": {"kty": "oct", "k": _b64(b"attacker")}}, good,
                                   lambda data: hmac.new(b"attacker", data, hashlib.sha256).digest()),
        "sub swapped to the admin, signature kept":
            f"{header}.{_b64(json.dumps({**good, 'sub': admin.id}).encode())}.{signature}",
        "sub swapped to the admin, re-signed with another key": _forge({**good, "sub": admin.id, "role": "admin"},
                                                                       "another-secret-that-is-long-enough-xx"),
        "missing sub": _forge({k: v for k, v in good.items() if k != "sub"}),
        "missing jti": _forge({k: v for k, v in good.items() if k != "jti"}),
        "missing iat": _forge({k: v for k, v in good.items() if k != "iat"}),
        "missing generation": _forge({k: v for k, v in good.items() if k != "gen"}),
        "generation from the past": _forge({**good, "gen": good["gen"] - 1}),
        "sub that is no user": _forge({**good, "sub": "00000000-0000-4000-8000-000000000000"}),
        "sub of the wrong type": _forge({**good, "sub": 12345}),
        "role that does not exist": _forge({**good, "role": "root"}),
        "not valid yet": _forge({**good, "nbf": now + 3600}),
        "exp as a string": _forge({**good, "exp": str(now + 3600)}),
        "a fourth segment": viewer.token + ".x",
        "the payload alone": payload,
        "over 4 KB": viewer.token + "A" * 5000,
        "an SDK key that was never issued": "idp_sk_" + "A" * 43,
        "a bare SDK-key prefix": "idp_sk_",
    }
    for name, token in attacks.items():
        reply = api.get("/auth/me", token=token)
        assert reply.status == 401, (name, reply.status, reply.body)
        assert reply.header("Content-Type") == "application/problem+json", name
        assert reply.body["detail"] in ("invalid or expired token", "unknown or disabled user", "token revoked: sign in again",
                                        "unknown or revoked SDK key",
                                        "malformed Authorization header: expected Bearer <token>"), (name, reply.body)
    for scheme in ("bearer", "BEARER"):
        assert api.get("/auth/me", headers={"Authorization": f"{scheme} {viewer.token}"}).status == 200
    assert api.get("/auth/me", token=viewer.token).status == 200
