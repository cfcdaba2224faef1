"""Every setting of the platform, read from the environment once and validated.

Nothing else in the code reads ``os.environ``: it asks :func:`get_settings`.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

ENVIRONMENTS = ("development", "staging", "production")


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the process must not start serving."""


def _int(env, name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(env, name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    jwt_secret: str | None
    jwt_secret_parameter: str | None
    jwt_issuer: str
    jwt_audience: str
    token_ttl_seconds: int
    bcrypt_rounds: int
    auth_cache_seconds: int
    flag_cache_seconds: int
    login_max_failures: int
    login_window_seconds: int
    log_retention_days: int
    step_time_scale: float
    deploy_success_rate: int
    state_machine_arn: str | None
    alerts_topic_arn: str | None
    log_level: str
    tracing_enabled: bool
    metrics_namespace: str = "IDP"

    def table_name(self, suffix: str) -> str:
        return f"{self.table_prefix}-{suffix}"


def load_settings(env=None) -> Settings:
    env = os.environ if env is None else env
    secret = env.get("IDP_JWT_SECRET") or None
    secret_parameter = env.get("IDP_JWT_SECRET_PARAMETER") or None
    if secret is None and secret_parameter is None:
        # No default secret: a deployed stack names its SSM parameter, a local one sets the secret.
        raise SettingsError("set IDP_JWT_SECRET (local) or IDP_JWT_SECRET_PARAMETER (AWS, an SSM SecureString)")
    if secret is not None and len(secret) < 32:
        raise SettingsError("IDP_JWT_SECRET must be at least 32 characters")
    prefix = env.get("IDP_TABLE_PREFIX", "idp-local")
    if not prefix or not all(c.isalnum() or c == "-" for c in prefix):
        raise SettingsError(f"IDP_TABLE_PREFIX must be letters, digits and dashes, got {prefix!r}")
    log_level = env.get("IDP_LOG_LEVEL", "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"IDP_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    return Settings(
        stage=env.get("IDP_STAGE", "local"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        table_prefix=prefix,
        jwt_secret=secret,
        jwt_secret_parameter=secret_parameter,
        jwt_issuer=env.get("IDP_JWT_ISSUER", "idp"),
        jwt_audience=env.get("IDP_JWT_AUDIENCE", "idp-api"),
        token_ttl_seconds=_int(env, "IDP_TOKEN_TTL_SECONDS", 3600, 60, 86400),
        bcrypt_rounds=_int(env, "IDP_BCRYPT_ROUNDS", 12, 4, 16),
        auth_cache_seconds=_int(env, "IDP_AUTH_CACHE_SECONDS", 60, 0, 3600),
        flag_cache_seconds=_int(env, "IDP_FLAG_CACHE_SECONDS", 15, 0, 3600),
        login_max_failures=_int(env, "IDP_LOGIN_MAX_FAILURES", 5, 1, 1000),
        login_window_seconds=_int(env, "IDP_LOGIN_WINDOW_SECONDS", 900, 1, 86400),
        log_retention_days=_int(env, "IDP_LOG_RETENTION_DAYS", 30, 1, 3650),
        step_time_scale=_float(env, "IDP_STEP_TIME_SCALE", 1.0, 0.0, 100.0),
        deploy_success_rate=_int(env, "IDP_DEPLOY_SUCCESS_RATE", 90, 0, 100),
        state_machine_arn=env.get("IDP_STATE_MACHINE_ARN") or None,
        alerts_topic_arn=env.get("IDP_ALERTS_TOPIC_ARN") or None,
        log_level=log_level,
        tracing_enabled=_bool(env, "IDP_TRACING", False),
        metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE") or "IDP",
    )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
