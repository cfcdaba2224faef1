"""End to end: the OpenFeature Python SDK with its OFREP provider, unchanged, against the real
local stack (moto server + ``chalice local``) with an SDK key."""
from __future__ import annotations

import pytest
from openfeature import api as openfeature
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode

from chalicelib.domain.evaluation import bucket
from tests.e2e.stack import E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, http, running_stack

pytestmark = pytest.mark.e2e
DOMAIN = "idp-ofrep-e2e"


@pytest.fixture(scope="module")
def stack():
    with running_stack("flags") as running:  # stops every process it started, however the module ends
        yield running


@pytest.fixture(scope="module")
def admin_token(stack):
    status, _, body = http("POST", f"{stack.api_url}/auth/login",
                           {"email": E2E_ADMIN_EMAIL, "password": E2E_ADMIN_PASSWORD})
    assert status == 200, body
    return body["access_token"]


@pytest.fixture(scope="module")
def sdk_key(stack, admin_token):
    flags = [
        {"key": "e2e-on", "enabled": True},
        {"key": "e2e-off", "enabled": False},
        {"key": "e2e-staging-only", "enabled": True, "environments": ["staging"]},
        {"key": "e2e-production-only", "enabled": True, "environments": ["production"]},
        {"key": "e2e-split", "enabled": True, "rollout_percentage": 50},
    ]
    for flag in flags:
        status, _, body = http("POST", f"{stack.api_url}/flags", flag, token=admin_token)
        assert status == 201, body
    status, _, key = http("POST", f"{stack.api_url}/sdk-keys", {"name": "e2e", "environment": "staging"},
                          token=admin_token)
    assert status == 201, key
    return key


@pytest.fixture(scope="module")
def client(stack, sdk_key):
    provider = OFREPProvider(stack.api_url, headers_factory=lambda: {"Authorization": f"Bearer {sdk_key['key']}"},
                             timeout=10.0)
    openfeature.set_provider(provider, domain=DOMAIN)
    yield openfeature.get_client(domain=DOMAIN)
    openfeature.clear_providers()


def details(client, key, user="user-1", **attributes):
    context = EvaluationContext(targeting_key=user, attributes=attributes) if user or attributes else None
    return client.get_boolean_details(key, False if key != "e2e-off" else True, context)


def test_on_off_and_environment_targeted_flags(client):
    on = details(client, "e2e-on")
    assert (on.value, on.variant, on.reason, on.error_code) == (True, "on", "STATIC", None)
    assert on.flag_metadata["reason_code"] == "ALL_CONDITIONS_MET"
    off = details(client, "e2e-off")
    assert (off.value, off.variant, off.reason, off.error_code) == (False, "off", "DISABLED", None)
    assert off.flag_metadata["reason_code"] == "FLAG_DISABLED"
    targeted = details(client, "e2e-staging-only")  # the key's environment is staging
    assert (targeted.value, targeted.variant, targeted.reason) == (True, "on", "TARGETING_MATCH")
    untargeted = details(client, "e2e-production-only")
    assert (untargeted.value, untargeted.variant, untargeted.reason) == (False, "off", "DEFAULT")
    assert untargeted.flag_metadata["reason_code"] == "ENVIRONMENT_NOT_TARGETED"
    # no evaluation context at all is fine for a flag that does not depend on the user
    assert details(client, "e2e-on", user=None).value is True


def test_a_split_flag_follows_the_stable_bucket(client):
    values = set()
    for i in range(10):
        user = f"user-{i}"
        result = details(client, "e2e-split", user=user)
        expected = bucket("e2e-split", user) < 50
        assert (result.value, result.variant, result.reason, result.error_code) == (
            expected, "on" if expected else "off", "SPLIT", None)
        values.add(result.value)
    assert values == {True, False}


def test_errors_reach_the_sdk_with_their_codes(client):
    unknown = details(client, "e2e-nothing-here")
    assert (unknown.value, unknown.error_code, unknown.reason) == (False, ErrorCode.FLAG_NOT_FOUND, "ERROR")
    no_user = details(client, "e2e-split", user=None)
    assert (no_user.value, no_user.error_code) == (False, ErrorCode.TARGETING_KEY_MISSING)
    other_environment = details(client, "e2e-on", environment="production")  # 403 from the API
    assert (other_environment.value, other_environment.error_code) == (False, ErrorCode.GENERAL)


def test_raw_ofrep_over_http(stack, sdk_key):
    key = sdk_key["key"]
    single = f"{stack.api_url}/ofrep/v1/evaluate/flags/e2e-split"
    status, headers, body = http("POST", single, ["not", "an", "object"], token=key)
    assert status == 400 and body["errorCode"] in ("INVALID_CONTEXT", "PARSE_ERROR")
    assert headers["Content-Type"] == "application/json"
    status, _, body = http("POST", single, {"context": {}}, token=key)
    assert (status, body["errorCode"]) == (400, "TARGETING_KEY_MISSING")

    bulk = f"{stack.api_url}/ofrep/v1/evaluate/flags"
    status, headers, body = http("POST", bulk, {"context": {"targetingKey": "user-1"}}, token=key)
    assert status == 200 and len(body["flags"]) == 5
    etag = headers["ETag"]
    status, headers, body = http("POST", bulk, {"context": {"targetingKey": "user-1"}}, token=key,
                                 headers={"If-None-Match": etag})
    assert status == 304 and headers["ETag"] == etag
    # Over real HTTP too: no body, so neither Content-Type nor Content-Length.
    assert body is None and "Content-Type" not in headers and "Content-Length" not in headers


def test_the_provider_may_send_the_key_in_x_api_key(stack, sdk_key):
    provider = OFREPProvider(stack.api_url, headers_factory=lambda: {"X-API-Key": sdk_key["key"]}, timeout=10.0)
    openfeature.set_provider(provider, domain="idp-ofrep-e2e-api-key")
    client = openfeature.get_client(domain="idp-ofrep-e2e-api-key")
    targeted = client.get_boolean_details("e2e-staging-only", False, EvaluationContext("user-1"))
    assert (targeted.value, targeted.reason, targeted.error_code) == (True, "TARGETING_MATCH", None)
    wrong = OFREPProvider(stack.api_url, headers_factory=lambda: {"X-API-Key": "idp_sk_wrong"}, timeout=10.0)
    openfeature.set_provider(wrong, domain="idp-ofrep-e2e-wrong-key")
    refused = openfeature.get_client(domain="idp-ofrep-e2e-wrong-key").get_boolean_details(
        "e2e-staging-only", False, EvaluationContext("user-1"))
    assert (refused.value, refused.error_code) == (False, ErrorCode.GENERAL)  # a 401
    status, _, body = http("POST", f"{stack.api_url}/ofrep/v1/evaluate/flags", {"context": {"targetingKey": "u"}},
                           headers={"X-API-Key": "idp_sk_wrong"})
    assert status == 401 and body["status"] == 401


def test_a_revoked_key_stops_working(stack, admin_token):
    status, _, key = http("POST", f"{stack.api_url}/sdk-keys", {"name": "short-lived", "environment": "production"},
                          token=admin_token)
    assert status == 201
    provider = OFREPProvider(stack.api_url, headers_factory=lambda: {"Authorization": f"Bearer {key['key']}"})
    openfeature.set_provider(provider, domain="idp-ofrep-e2e-revoke")
    client = openfeature.get_client(domain="idp-ofrep-e2e-revoke")
    assert client.get_boolean_details("e2e-production-only", False, EvaluationContext("u")).value is True
    assert http("DELETE", f"{stack.api_url}/sdk-keys/{key['id']}", token=admin_token)[0] == 204
    revoked = client.get_boolean_details("e2e-production-only", False, EvaluationContext("u"))
    assert (revoked.value, revoked.error_code) == (False, ErrorCode.GENERAL)
