"""End to end: the real processes (moto server, `chalice local`) provisioned from the template,
talked to over HTTP like a user would."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.stack import E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, http, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack():
    with running_stack("core") as running:
        yield running


def _login(stack, email, password):
    status, _, body = http("POST", f"{stack.api_url}/auth/login", {"email": email, "password": password})
    assert status == 200, body
    return body["access_token"]


def test_health_and_admin_login_over_http(stack):
    status, headers, body = http("GET", f"{stack.api_url}/health")
    assert status == 200 and body["status"] == "ok"
    token = _login(stack, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD)
    status, _, me = http("GET", f"{stack.api_url}/auth/me", token=token)
    assert status == 200 and me["role"] == "admin"
    status, _, document = http("GET", f"{stack.api_url}/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.1")


def test_users_and_audit_over_http(stack):
    admin = _login(stack, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD)
    status, headers, user = http("POST", f"{stack.api_url}/users",
                                 {"email": "e2e-dev@example.com", "name": "Dev", "password": "password-1234",
                                  "role": "developer"}, token=admin)
    assert status == 201, user
    developer = _login(stack, "e2e-dev@example.com", "password-1234")
    assert http("GET", f"{stack.api_url}/users", token=developer)[0] == 403
    status, headers, problem = http("POST", f"{stack.api_url}/users", {"email": "x"}, token=admin)
    assert status == 400 and headers["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in problem["errors"]} >= {"email", "name", "password", "role"}
    status, _, entries = http("GET", f"{stack.api_url}/audit?resource_id={user['id']}", token=admin)
    assert status == 200 and [e["action"] for e in entries["items"]] == ["auth.login", "user.create"]


def test_concurrent_creates_over_http_make_one_user(stack):
    admin = _login(stack, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD)

    def create(i):
        email = "race@example.com" if i % 2 else "Race@Example.com"
        return http("POST", f"{stack.api_url}/users", {"email": email, "name": "R", "password": "password-1234",
                                                        "role": "viewer"}, token=admin)[0]

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(create, range(10)))
    assert statuses.count(201) == 1 and statuses.count(409) == 9


def test_a_body_over_64_kib_is_413_and_unknown_routes_are_refused(stack):
    status, _, _ = http("POST", f"{stack.api_url}/auth/login", {"email": "a" * 70_000, "password": "x"})
    assert status == 413
    status, _, _ = http("GET", f"{stack.api_url}/no-such-route")
    assert status in (403, 404)


def test_scripts_dev_stops_everything_on_sigint(tmp_path):
    """`scripts/dev` in the foreground: healthy, then Ctrl-C (SIGINT to its process group) frees all three ports."""
    from devstack import free_port, port_open, wait_http

    api_port, emulator_port, portal_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update({"IDP_PORT": str(api_port), "IDP_EMULATOR_PORT": str(emulator_port),
                "IDP_PORTAL_PORT": str(portal_port), "IDP_BCRYPT_ROUNDS": "4", "IDP_ADMIN_PASSWORD": "dev-admin-password",
                "IDP_LOG_LEVEL": "WARNING",
                "IDP_VENV": os.path.dirname(os.path.dirname(sys.executable))})
    log = open(tmp_path / "dev.log", "w")  # noqa: SIM115
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    process = subprocess.Popen([os.path.join(root, "scripts", "dev")], cwd=root, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{api_port}/health", 90, process=process)
        status, _, body = http("POST", f"http://127.0.0.1:{api_port}/auth/login",
                               {"email": "admin@example.com", "password": "dev-admin-password"})
        assert status == 200, body
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        ports = (api_port, emulator_port, portal_port)
        while any(port_open(port) for port in ports) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(port_open(port) for port in ports)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
    output = (tmp_path / "dev.log").read_text()
    assert "first admin admin@example.com created; its password comes from IDP_ADMIN_PASSWORD" in output
    # The sign-in to use, without a password that is not the documented local default.
    assert (f'sign in: POST http://127.0.0.1:{api_port}/auth/login '
            '{"email": "admin@example.com", "password": "<IDP_ADMIN_PASSWORD>"}') in output
    assert "dev-admin-password" not in output
