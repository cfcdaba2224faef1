"""OFREP in process: the shape OpenFeature providers rely on, the standard reasons, OFREP errors,
and the bulk ETag."""
from __future__ import annotations

import pytest

from chalicelib.domain.evaluation import bucket
from tests.integration.test_flags import create

SINGLE = "/ofrep/v1/evaluate/flags/{}"
BULK = "/ofrep/v1/evaluate/flags"


@pytest.fixture
def flags(api, admin):
    create(api, admin, "on-everywhere", enabled=True)
    create(api, admin, "switched-off", rollout_percentage=50)
    create(api, admin, "prod-only", enabled=True, environments=["production"])
    create(api, admin, "half", enabled=True, rollout_percentage=50)
    return admin


def ctx(environment="production", **extra):
    return {"context": {"environment": environment, **extra}}


def test_each_rule_maps_to_a_standard_reason_with_our_reason_in_metadata(api, flags):
    def evaluate(key, body):
        reply = api.post(SINGLE.format(key), body, token=flags.token)
        assert reply.status == 200, reply.body
        assert reply.header("Content-Type") == "application/json"
        assert reply.body["key"] == key
        return reply.body["value"], reply.body["variant"], reply.body["reason"], reply.body["metadata"]["reason_code"]

    assert evaluate("on-everywhere", ctx()) == (True, "on", "STATIC", "ALL_CONDITIONS_MET")
    assert evaluate("switched-off", ctx(targetingKey="u")) == (False, "off", "DISABLED", "FLAG_DISABLED")
    assert evaluate("prod-only", ctx()) == (True, "on", "TARGETING_MATCH", "ALL_CONDITIONS_MET")
    assert evaluate("prod-only", ctx("staging")) == (False, "off", "DEFAULT", "ENVIRONMENT_NOT_TARGETED")
    seen = set()
    for i in range(12):
        user = f"user-{i}"
        value, variant, reason, code = evaluate("half", ctx(targetingKey=user))
        assert value is (bucket("half", user) < 50)
        assert (variant, reason, code) == (("on", "SPLIT", "ALL_CONDITIONS_MET") if value
                                           else ("off", "SPLIT", "OUTSIDE_ROLLOUT"))
        seen.add(value)
    assert seen == {True, False}
    # extra context attributes are allowed and ignored
    assert evaluate("on-everywhere", ctx(targetingKey="u", country="NL"))[0] is True


def test_ofrep_errors_use_the_ofrep_shape(api, flags):
    def error(key, status, code, body=None, raw=None):
        reply = api.post(SINGLE.format(key), body, raw=raw, token=flags.token)
        assert reply.status == status, (key, body, raw, reply.body)
        assert reply.header("Content-Type") == "application/json"
        assert reply.body["errorCode"] == code and reply.body["key"] == key
        assert isinstance(reply.body["errorDetails"], str) and reply.body["errorDetails"]

    error("nothing-here", 404, "FLAG_NOT_FOUND", ctx(targetingKey="u"))
    error("Not-A-Key", 404, "FLAG_NOT_FOUND", ctx(targetingKey="u"))
    error("half", 400, "TARGETING_KEY_MISSING", ctx())
    error("half", 400, "TARGETING_KEY_MISSING", ctx(targetingKey=""))
    # a split flag needs the targeting key even while it is switched off (fail early, not on rollout day)
    error("switched-off", 400, "TARGETING_KEY_MISSING", ctx())
    for raw in (b"[]", b'"context"', b"42", b"null"):
        error("on-everywhere", 400, "PARSE_ERROR", raw=raw)
    error("on-everywhere", 400, "PARSE_ERROR", raw=b"{not json")
    error("on-everywhere", 400, "INVALID_CONTEXT", {"context": ["production"]})
    error("on-everywhere", 400, "INVALID_CONTEXT", {"context": {"targetingKey": 7, "environment": "production"}})
    # with a user token the environment must come in the context
    error("on-everywhere", 400, "INVALID_CONTEXT", {"context": {"targetingKey": "u"}})
    error("on-everywhere", 400, "INVALID_CONTEXT", {})
    error("on-everywhere", 400, "INVALID_CONTEXT", ctx("qa"))


def test_general_errors_stay_problem_json(api, flags):
    anonymous = api.post(SINGLE.format("on-everywhere"), ctx())
    assert anonymous.status == 401 and anonymous.header("Content-Type") == "application/problem+json"
    huge = api.post(SINGLE.format("on-everywhere"), {"context": {"environment": "production", "x": "y" * 70_000}},
                    token=flags.token)
    assert huge.status == 413 and huge.header("Content-Type") == "application/problem+json"


def test_bulk_lists_every_flag_with_per_flag_errors(api, flags):
    reply = api.post(BULK, ctx("staging"), token=flags.token)
    assert reply.status == 200, reply.body
    assert reply.header("ETag")
    by_key = {flag["key"]: flag for flag in reply.body["flags"]}
    assert [flag["key"] for flag in reply.body["flags"]] == sorted(by_key)
    assert by_key["on-everywhere"] == {"key": "on-everywhere", "value": True, "variant": "on", "reason": "STATIC",
                                       "metadata": {"reason_code": "ALL_CONDITIONS_MET"}}
    assert by_key["prod-only"]["reason"] == "DEFAULT"
    assert by_key["half"]["errorCode"] == "TARGETING_KEY_MISSING" and "errorDetails" in by_key["half"]
    assert by_key["switched-off"]["errorCode"] == "TARGETING_KEY_MISSING"

    with_user = api.post(BULK, ctx("staging", targetingKey="user-3"), token=flags.token).body
    half = {flag["key"]: flag for flag in with_user["flags"]}["half"]
    assert half["reason"] == "SPLIT" and half["value"] is (bucket("half", "user-3") < 50)

    bad = api.post(BULK, raw=b"[]", token=flags.token)
    assert bad.status == 400 and bad.header("Content-Type") == "application/json"
    assert bad.body["errorCode"] in ("PARSE_ERROR", "INVALID_CONTEXT") and "key" not in bad.body
    assert api.post(BULK, {"context": {}}, token=flags.token).body["errorCode"] == "INVALID_CONTEXT"


def test_bulk_etag_and_if_none_match(api, flags):
    body = ctx("production", targetingKey="user-1")
    first = api.post(BULK, body, token=flags.token)
    etag = first.header("ETag")
    assert etag.startswith('"') and etag.endswith('"')

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = api.post(BULK, body, token=flags.token, headers={"If-None-Match": header})
        assert again.status == 304, header
        assert again.body in (None, "") and again.header("ETag") == etag
    assert api.post(BULK, body, token=flags.token, headers={"If-None-Match": '"stale"'}).status == 200

    # a change to any returned value, variant or reason changes the ETag
    assert api.patch("/flags/prod-only", {"enabled": False}, token=flags.token).status == 200
    changed = api.post(BULK, body, token=flags.token, headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.header("ETag") != etag
    # ... and so does the answer for another user of a split flag, when it differs
    other_user = next(f"user-{i}" for i in range(2, 100)
                      if (bucket("half", f"user-{i}") < 50) != (bucket("half", "user-1") < 50))
    other = api.post(BULK, ctx("production", targetingKey=other_user), token=flags.token,
                     headers={"If-None-Match": changed.header("ETag")})
    assert other.status == 200 and other.header("ETag") != changed.header("ETag")


def _sdk_key(api, admin, environment="staging") -> str:
    reply = api.post("/sdk-keys", {"name": f"ofrep-{environment}", "environment": environment}, token=admin.token)
    assert reply.status == 201, reply.body
    return reply.body["key"]


def test_the_sdk_key_may_come_in_x_api_key(api, flags):
    key = _sdk_key(api, flags)
    body = {"context": {"targetingKey": "user-1"}}
    single = api.post(SINGLE.format("prod-only"), body, headers={"X-API-Key": key})
    assert single.status == 200, single.body
    # The key's own environment (staging), as with Authorization: Bearer.
    assert (single.body["value"], single.body["reason"]) == (False, "DEFAULT")
    bearer = api.post(SINGLE.format("prod-only"), body, token=key)
    assert bearer.body == single.body
    bulk = api.post(BULK, body, headers={"X-API-Key": key})
    assert bulk.status == 200 and bulk.body == api.post(BULK, body, token=key).body
    # ... and it is still the key's environment only.
    other = api.post(SINGLE.format("prod-only"), {"context": {"targetingKey": "u", "environment": "production"}},
                     headers={"X-API-Key": key})
    assert other.status == 403


@pytest.mark.parametrize("credential", ["idp_sk_not-a-real-key", "not-even-an-sdk-key", "", "Bearer {key}",
                                        "{token}"])
def test_a_wrong_x_api_key_is_401(api, flags, credential):
    key = _sdk_key(api, flags)
    value = credential.format(key=key, token=flags.token)
    for path in (SINGLE.format("on-everywhere"), BULK):
        reply = api.post(path, {"context": {"targetingKey": "u"}}, headers={"X-API-Key": value})
        assert reply.status == 401, (credential, reply.body)
        assert reply.header("Content-Type") == "application/problem+json"


def test_x_api_key_and_authorization_together_are_401(api, flags):
    key = _sdk_key(api, flags)
    reply = api.post(BULK, {"context": {"targetingKey": "u"}}, token=key, headers={"X-API-Key": key})
    assert reply.status == 401 and "one credential" in reply.body["detail"]


def test_a_revoked_key_in_x_api_key_is_401(api, flags):
    created = api.post("/sdk-keys", {"name": "short", "environment": "production"}, token=flags.token).body
    assert api.post(BULK, {"context": {"targetingKey": "u"}}, headers={"X-API-Key": created["key"]}).status == 200
    assert api.delete(f"/sdk-keys/{created['id']}", token=flags.token).status == 204
    assert api.post(BULK, {"context": {"targetingKey": "u"}}, headers={"X-API-Key": created["key"]}).status == 401


def test_x_api_key_is_only_read_by_ofrep(api, flags):
    key = _sdk_key(api, flags)
    # The other evaluation endpoints take the SDK key as a Bearer token only.
    reply = api.get("/flags/on-everywhere/evaluate?user_id=u", headers={"X-API-Key": key})
    assert reply.status == 401
    assert api.get("/flags/on-everywhere/evaluate?user_id=u", token=key).status == 200


def test_a_304_has_no_body_and_no_content_type(api, flags):
    body = ctx("production", targetingKey="user-1")
    etag = api.post(BULK, body, token=flags.token).header("ETag")
    again = api.post(BULK, body, token=flags.token, headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.header("Content-Type") is None and again.body in (None, "")
    assert again.header("ETag") == etag
