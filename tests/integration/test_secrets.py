"""On AWS the JWT secret comes from SSM Parameter Store (a SecureString named by the stage), read
once per function instance; locally it is IDP_JWT_SECRET. Proven against moto in-process."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.core import aws, security, settings
from tests.support import count_aws_calls

PARAMETER = "/idp/test/jwt-secret"
SSM_SECRET = "a-secret-that-lives-in-parameter-store-0123456789"


def _reset_caches() -> None:
    settings.get_settings.cache_clear()
    security.jwt_secret.cache_clear()
    aws.reset_clients()


@pytest.fixture
def on_aws(monkeypatch):
    """The environment of a deployed function: a parameter name, no secret."""
    monkeypatch.delenv("IDP_JWT_SECRET")
    monkeypatch.setenv("IDP_JWT_SECRET_PARAMETER", PARAMETER)
    _reset_caches()
    ssm = boto3.client("ssm", region_name="us-east-1")
    yield ssm
    for name in (PARAMETER,):
        try:
            ssm.delete_parameter(Name=name)
        except ssm.exceptions.ParameterNotFound:
            pass
    monkeypatch.undo()
    _reset_caches()


def test_the_secret_is_read_from_the_securestring_once_per_instance(on_aws):
    on_aws.put_parameter(Name=PARAMETER, Value=SSM_SECRET, Type="SecureString")
    with count_aws_calls() as calls:
        first = security.jwt_secret()
        token, _ = security.issue_token("user-1", "admin", 0)
        claims = security.decode_token(token)
        security.decode_token(security.issue_token("user-2", "viewer", 0)[0])
    assert first == SSM_SECRET
    assert claims.subject == "user-1"
    assert calls.count("ssm") == 1, calls.calls
    assert calls.count("ssm", "GetParameter") == 1


def test_a_token_signed_with_another_secret_is_refused(on_aws):
    on_aws.put_parameter(Name=PARAMETER, Value=SSM_SECRET, Type="SecureString")
    import jwt

    forged = jwt.encode({"sub": "user-1", "role": "admin", "iat": 1, "exp": 2**31, "iss": "idp", "aud": "idp-api",
                         "jti": "x", "gen": 0}, "test-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    with pytest.raises(security.InvalidToken):
        security.decode_token(forged)


def test_a_missing_parameter_fails_and_is_retried_once_it_exists(on_aws):
    with pytest.raises(ClientError) as error:
        security.jwt_secret()
    assert error.value.response["Error"]["Code"] == "ParameterNotFound"
    on_aws.put_parameter(Name=PARAMETER, Value=SSM_SECRET, Type="SecureString")
    assert security.jwt_secret() == SSM_SECRET


@pytest.mark.parametrize(("kind", "value", "message"), [
    ("String", SSM_SECRET, "must be a SecureString"),
    ("SecureString", "too-short", "at least 32 characters"),
])
def test_a_plain_or_short_parameter_is_refused(on_aws, kind, value, message):
    on_aws.put_parameter(Name=PARAMETER, Value=value, Type=kind)
    with pytest.raises(settings.SettingsError, match=message):
        security.jwt_secret()


def test_locally_the_environment_secret_wins_and_ssm_is_never_called(monkeypatch):
    monkeypatch.setenv("IDP_JWT_SECRET_PARAMETER", PARAMETER)  # set, but the local secret is there too
    _reset_caches()
    try:
        with count_aws_calls() as calls:
            assert security.jwt_secret() == "test-secret-that-is-long-enough-for-hs256"
        assert calls.count("ssm") == 0
    finally:
        monkeypatch.undo()
        _reset_caches()


def test_settings_refuse_to_start_without_either():
    with pytest.raises(settings.SettingsError, match="IDP_JWT_SECRET_PARAMETER"):
        settings.load_settings({"IDP_TABLE_PREFIX": "idp-dev"})
