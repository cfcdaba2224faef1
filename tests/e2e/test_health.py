"""/health follows its dependencies: the real stack's emulator is stopped and started again."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from devstack import wait_http

from tests.conftest import ROOT
from tests.e2e.stack import http, running_stack

pytestmark = pytest.mark.e2e


def _health(stack):
    status, _, body = http("GET", f"{stack.api_url}/health")
    return status, body


def _poll_health(stack, want: int, timeout: float = 20):
    """The API's pooled connections to the old emulator may fail once after a restart: poll briefly."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = _health(stack)
        if status == want or time.monotonic() > deadline:
            return status, body
        time.sleep(0.2)


def test_health_is_503_naming_dynamodb_while_the_emulator_is_down_and_200_when_it_is_back():
    with running_stack("health") as stack:
        status, body = _health(stack)
        assert status == 200 and body["status"] == "ok" and body["checks"]["dynamodb"] == "ok", body

        emulator = next(p for p in stack.processes if p.idp_name == "emulator")
        os.killpg(emulator.pid, signal.SIGTERM)
        emulator.wait(timeout=10)
        status, body = _health(stack)
        assert status == 503, body
        assert body["status"] == "degraded" and body["checks"]["dynamodb"].startswith("unavailable"), body

        # Back on the same port. A restarted moto is empty (it keeps nothing on disk), so the
        # tables are missing and /health must still say so; once the stack is provisioned again
        # from the template (as scripts/dev does at start) it is 200.
        stack._spawn("emulator", [sys.executable, str(ROOT / "scripts" / "emulator.py"), "--port",
                                  str(stack.emulator_port)], stack.env)
        wait_http(f"{stack.endpoint}/moto-api/", 30)
        status, body = _poll_health(stack, 503)
        assert status == 503 and body["checks"]["dynamodb"] == "unavailable (ResourceNotFoundException)", body
        provisioned = subprocess.run([sys.executable, str(ROOT / "scripts" / "provision.py")], cwd=ROOT,
                                     env=stack.app_env(), capture_output=True, text=True, timeout=180)
        assert provisioned.returncode == 0, provisioned.stderr[-3000:]
        assert json.loads(provisioned.stdout)["outputs"]
        status, body = _poll_health(stack, 200)
        assert status == 200 and body["status"] == "ok", body
