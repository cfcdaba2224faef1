"""What every test shares: the environment of a local stage (no real AWS account is reachable from
it), the import paths of app.py and scripts/, and the one way to change a setting for a block."""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "IDP_TABLE_PREFIX": "idp-test",
    "IDP_JWT_SECRET": "test-secret-that-is-long-enough-for-hs256",
    "IDP_BCRYPT_ROUNDS": "4",
    "IDP_AUTH_CACHE_SECONDS": "0",
    "IDP_FLAG_CACHE_SECONDS": "15",
    "IDP_STEP_TIME_SCALE": "0",
    "IDP_DEPLOY_SUCCESS_RATE": "100",
    "IDP_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_NAMESPACE": "IDP",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(_name, None)
os.environ.update(TEST_ENV)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from chalicelib.core.settings import Settings, get_settings  # noqa: E402


@contextlib.contextmanager
def overridden_settings(**values: str) -> Iterator[Settings]:
    """The settings with ``values`` (environment names) for the block only: ``get_settings`` is
    cached, so the cache is reset on entry and again once the environment is put back."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
