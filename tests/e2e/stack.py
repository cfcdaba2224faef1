"""Starting a real local stack (moto server + ``chalice local``) for end-to-end tests."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request

from devstack import ROOT, DevStack, free_port, wait_http

from tests.support import check_documented_success

E2E_ADMIN_EMAIL = "admin@example.com"
E2E_ADMIN_PASSWORD = "e2e-admin-password"


@contextlib.contextmanager
def running_stack(name: str, portal: bool = False, **extra_env):
    """A whole stack on free ports, stopped (with every process it started) however the test ends;
    with ``portal``, also the built portal served as ``scripts/dev`` serves it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.pop("IDP_STATE_MACHINE_ARN", None)
    env.update({"IDP_ADMIN_EMAIL": E2E_ADMIN_EMAIL, "IDP_ADMIN_PASSWORD": E2E_ADMIN_PASSWORD,
                "IDP_BCRYPT_ROUNDS": "4", "IDP_AUTH_CACHE_SECONDS": "0", "IDP_STEP_TIME_SCALE": "0",
                "IDP_LOG_LEVEL": "WARNING", **extra_env})
    stack = DevStack(api_port=free_port(), emulator_port=free_port(), table_prefix=f"idp-e2e-{name}", env=env,
                     log=lambda message: None, portal_port=free_port() if portal else None)
    with stack:
        yield stack


@contextlib.contextmanager
def serving(argv: list[str], ready_url: str, env: dict | None = None, timeout: float = 60):
    """One server process of our own (its own process group, output discarded) once ``ready_url``
    answers 200, stopped with everything it started when the block ends."""
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_http(ready_url, timeout, process=process)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def http(method: str, url: str, body=None, token: str | None = None, headers: dict | None = None):
    """(status, headers, parsed body) over real HTTP."""
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            status, response_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, response_headers, raw = error.code, dict(error.headers), error.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    check_documented_success(method, urllib.parse.urlsplit(url).path, status, response_headers, parsed)
    return status, response_headers, parsed
