"""scripts/emulator on its own, as a newcomer starts it: Step Functions execution on whoever
starts it, a taken port is an immediate error, SIGTERM and SIGINT stop it; scripts/dev refuses
an emulator that runs no executions."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys

import boto3
import provision
import pytest
from devstack import free_port, port_open, wait_http

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
VENV = os.path.dirname(os.path.dirname(sys.executable))


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "IDP_"))}
    return {**env, "IDP_VENV": VENV, **extra}


def _ignoring(*signals):
    def preexec():
        for signum in signals:
            signal.signal(signum, signal.SIG_IGN)
    return preexec


def _start(port: int, preexec=None) -> subprocess.Popen:
    return subprocess.Popen([str(ROOT / "scripts" / "emulator"), "--port", str(port)], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=preexec)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_the_emulator_runs_executions_without_being_told_to(monkeypatch):
    port = free_port()
    process = _start(port)
    try:
        wait_http(f"http://127.0.0.1:{port}/moto-api/", 60, process=process)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        provision.check_executions_run(boto3.session.Session(region_name="us-east-1"))  # raises CannotExecute if not
    finally:
        _kill(process)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_emulator_stops_on_sigterm_and_sigint_even_when_started_ignoring_them(signum):
    """A background job of a non-interactive shell (`scripts/emulator ... &` in a script) starts
    with SIGINT ignored; whoever started it, the signal stops it and frees the port."""
    port = free_port()
    process = _start(port, preexec=_ignoring(signal.SIGTERM, signal.SIGINT))
    try:
        wait_http(f"http://127.0.0.1:{port}/moto-api/", 60, process=process)
        os.kill(process.pid, signum)  # the python process itself: the wrapper execs it
        assert process.wait(timeout=20) == 0
        assert not port_open(port)
    finally:
        _kill(process)


def test_a_taken_port_is_an_error_at_once_not_a_hang():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _start(port)
        try:
            output, _ = process.communicate(timeout=60)
        finally:
            _kill(process)
    assert process.returncode == 1
    assert f"Port {port} is in use" in output and "Traceback" not in output, output  # werkzeug's words


def test_scripts_dev_refuses_an_emulator_that_runs_no_executions(tmp_path):
    """A plain moto server (no Step Functions execution): deployments would stay PENDING forever."""
    emulator_port, api_port = free_port(), free_port()
    moto = subprocess.Popen([os.path.join(VENV, "bin", "moto_server"), "-p", str(emulator_port)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{emulator_port}/moto-api/", 60, process=moto)
        dev = subprocess.run([str(ROOT / "scripts" / "dev")], cwd=ROOT, capture_output=True, text=True, timeout=180,
                             env=_env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{emulator_port}", IDP_PORT=str(api_port),
                                      IDP_PORTAL_PORT=str(free_port()), IDP_TABLE_PREFIX="idp-refused", IDP_BCRYPT_ROUNDS="4"))
        # restore --provision (the README's recipe) refuses it too, before creating anything.
        archive = tmp_path / "empty.jsonl.gz"
        archive.write_bytes(gzip.compress(
            b'{"format": "idp-backup", "format_version": 1, "tables": []}\n'
            + json.dumps({"end": True, "counts": {}, "items": 0, "sha256": hashlib.sha256().hexdigest()}).encode()))
        restored = subprocess.run([str(ROOT / "scripts" / "restore"), "--provision", str(archive)], cwd=tmp_path,
                                  capture_output=True, text=True, timeout=180,
                                  env=_env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{emulator_port}"))
        stacks = boto3.client("cloudformation", endpoint_url=f"http://127.0.0.1:{emulator_port}", region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing").describe_stacks()["Stacks"]
    finally:
        _kill(moto)
    assert restored.returncode == 2, restored.stderr[-3000:]
    assert "restore refused, nothing written: the emulator at" in restored.stderr
    assert "runs no Step Functions executions" in restored.stderr and not stacks
    assert dev.returncode == 1, dev.stdout[-3000:] + dev.stderr[-3000:]
    assert "runs no Step Functions executions" in dev.stdout and "scripts/emulator" in dev.stdout, dev.stdout[-3000:]
    assert "Traceback" not in dev.stdout + dev.stderr
    assert not port_open(api_port)
