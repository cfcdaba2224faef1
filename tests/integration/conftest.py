"""Integration harness: moto in-process (Step Functions execution on), resources created from the
real CloudFormation template once per session, every table emptied between tests."""
from __future__ import annotations

import os

import boto3
import emulator
import provision
import pytest
from moto import mock_aws

from chalicelib.core.settings import get_settings
from tests.conftest import TEST_ENV
from tests.support import Api, count_aws_calls

emulator.make_dynamodb_atomic()
emulator.tune_step_functions()
_mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
_mock.start()

OUTPUTS = provision.provision(table_prefix=TEST_ENV["IDP_TABLE_PREFIX"])
for _key, _value in OUTPUTS.items():
    if _key.endswith("StateMachineArn"):
        os.environ["IDP_STATE_MACHINE_ARN"] = _value
# Test modules collected before this folder (tests/e2e imports the app) may have read the settings
# already, without the state machine provisioned just now.
get_settings.cache_clear()

from chalice.local import LocalChalice  # noqa: E402

from app import app as chalice_app  # noqa: E402

# Like `chalice local`, keep current_request per thread so concurrent requests in one process
# do not see each other's request (a Lambda instance serves one request at a time).
chalice_app.__class__ = type("ThreadLocalChalice", (LocalChalice,), {})
from chalicelib.domain import auth as auth_domain  # noqa: E402
from chalicelib.domain import flags as flags_domain  # noqa: E402
from chalicelib.domain import users as users_domain  # noqa: E402

TABLES = sorted(v for k, v in OUTPUTS.items() if k.endswith("TableName"))


def _empty_tables() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    for table in TABLES:
        keys = [k["AttributeName"] for k in client.describe_table(TableName=table)["Table"]["KeySchema"]]
        for page in client.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                client.delete_item(TableName=table, Key={k: item[k] for k in keys})


@pytest.fixture(autouse=True)
def clean_state(request):
    """Empty every table before each test, and fail any test whose requests made a table Scan
    (request paths must use key lookups and Queries only)."""
    _empty_tables()
    auth_domain.credential_cache.clear()
    flags_domain.cache.clear()
    with count_aws_calls() as calls:
        yield
    if request.node.get_closest_marker("allow_scan") is None:
        assert calls.scans == 0, f"a table Scan was made: {[c for c in calls.calls if c[1] == 'Scan']}"


ADMIN_PASSWORD = "admin-password-123"


@pytest.fixture
def api() -> Api:
    from chalice.test import Client

    with Client(chalice_app, stage_name="local") as client:
        yield Api(client)


@pytest.fixture
def admin(api):
    users_domain.ensure_admin("admin@example.com", "Admin", ADMIN_PASSWORD)
    return api.login("admin@example.com", ADMIN_PASSWORD)


@pytest.fixture
def make_user(api, admin):
    def make(role: str = "developer", email: str | None = None, password: str = "password-1234"):
        import uuid

        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        created = api.post("/users", {"email": email, "name": role.title(), "password": password, "role": role},
                           token=admin.token)
        assert created.status == 201, created.body
        return api.login(email, password)

    return make


@pytest.fixture
def viewer(make_user):
    return make_user("viewer")


@pytest.fixture
def developer(make_user):
    return make_user("developer")
