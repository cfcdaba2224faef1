"""scripts/dev runs the app's scheduled jobs beside the API, and Ctrl-C stops the scheduler too."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.support import wait_for_log


@pytest.mark.e2e
def test_scripts_dev_runs_the_scheduled_jobs_and_ctrl_c_stops_them(tmp_path):
    from devstack import free_port, wait_http

    api_port, emulator_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update({"IDP_PORT": str(api_port), "IDP_EMULATOR_PORT": str(emulator_port), "IDP_PORTAL": "off",
                "IDP_BCRYPT_ROUNDS": "4",
                "IDP_LOG_LEVEL": "WARNING", "IDP_TABLE_PREFIX": "idp-e2e-scheduler",
                "IDP_VENV": os.path.dirname(os.path.dirname(sys.executable))})
    env.pop("IDP_STATE_MACHINE_ARN", None)
    log_path = tmp_path / "dev.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(ROOT / "scripts" / "dev")], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{api_port}/health", 90, process=process)
        content = wait_for_log(log_path, "[scheduler] alert_rules ran", process)
        pid = int(content.split("[scheduler] started (pid ", 1)[1].split(")", 1)[0])
        os.kill(pid, 0)  # the scheduler runs
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the scheduler (pid {pid}) still runs after Ctrl-C")
    assert "[scheduler] stopped" in log_path.read_text()
