"""Run the whole platform on this machine: the AWS emulator, the resources from the template, the
first admin, the scheduled jobs, the API under ``chalice local`` and the portal (built when its
sources changed, served with ``/api/*`` forwarded to the API). ``scripts/dev`` runs this in
the foreground; the end-to-end tests start it on free ports.

The emulator is moto's server (``IDP_EMULATOR=moto``, the default) or LocalStack
(``IDP_EMULATOR=localstack``: its own virtualenv on Python >= 3.12, made on first use by
``localstack_venv.py``, started by ``localstack_launcher.py`` with moto serving its DynamoDB API);
``AWS_ENDPOINT_URL`` uses one that runs already, and provisioning recognises LocalStack there.

Ctrl-C (SIGINT) or SIGTERM stops everything it started and frees its ports.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import localstack_venv
import portal_build

ROOT = Path(__file__).resolve().parent.parent
LOCAL_JWT_SECRET = "local-development-secret-not-for-aws-0123456789"  # local stack only
EMULATORS = ("moto", "localstack")


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768+), where the kernel also picks the source
    ports of outgoing connections: a port it handed us could otherwise be taken again before our
    server binds it, when several stacks start at once (parallel test workers)."""
    for _ in range(200):
        port = random.randint(20000, 32000)  # noqa: S311 - not security
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found between 20000 and 32000")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_http(url: str, timeout: float, expect=(200,), process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the process serving it exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
                if response.status in expect:
                    return
                last = response.status
        except urllib.error.HTTPError as error:
            last = error.code
            if error.code in expect:
                return
        except OSError as error:
            last = error
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout}s (last: {last})")


class DevStack:
    """The processes of one local stack. Use as a context manager or call start()/stop()."""

    def __init__(self, *, api_port: int | None = None, emulator_port: int | None = None, env: dict | None = None,
                 log=None, table_prefix: str | None = None, serve_api: bool = True,
                 portal_port: int | None = None):
        self.env = dict(os.environ if env is None else env)
        self.api_port = api_port or int(self.env.get("IDP_PORT", "8000"))
        self.emulator_port = emulator_port or int(self.env.get("IDP_EMULATOR_PORT", "4566"))
        self.table_prefix = table_prefix or self.env.get("IDP_TABLE_PREFIX", "idp-local")
        self.log = log or (lambda message: print(f"[dev] {message}", flush=True))
        self.processes: list[subprocess.Popen] = []
        self.emulator = self.env.get("IDP_EMULATOR", "moto").strip().lower() or "moto"
        self.external_emulator = bool(self.env.get("AWS_ENDPOINT_URL"))
        self.state_dir: str | None = None  # LocalStack's files, removed by stop()
        self.endpoint = self.env.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{self.emulator_port}"
        self.outputs: dict[str, str] = {}
        self.serve_api = serve_api  # False: only the emulator and the provisioned resources
        self.portal_port = portal_port  # None: no portal (most end-to-end tests need only the API)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}"

    def app_env(self) -> dict:
        env = dict(self.env)
        env.setdefault("AWS_ACCESS_KEY_ID", "testing")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        env.setdefault("AWS_REGION", env["AWS_DEFAULT_REGION"])
        env.setdefault("IDP_JWT_SECRET", LOCAL_JWT_SECRET)
        env["AWS_ENDPOINT_URL"] = self.endpoint
        env["IDP_TABLE_PREFIX"] = self.table_prefix
        for key, value in self.outputs.items():
            if key.endswith("StateMachineArn"):
                env["IDP_STATE_MACHINE_ARN"] = value
            if key == "AlertsTopicArn":
                env.setdefault("IDP_ALERTS_TOPIC_ARN", value)
        return env

    def _spawn(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        # Each child leads its own process group so stop() can end it and everything it started.
        process = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)
        process.idp_name = name  # type: ignore[attr-defined]
        self.processes.append(process)
        return process

    def start(self) -> DevStack:
        started = time.monotonic()
        if self.emulator not in EMULATORS:
            raise RuntimeError(f"IDP_EMULATOR={self.emulator!r}: use one of {', '.join(EMULATORS)}")
        if self.portal_port is not None:
            if port_open(self.portal_port):
                raise RuntimeError(f"port {self.portal_port} is taken: set IDP_PORTAL_PORT or stop what runs there")
            # First, so a missing Node.js is said before anything starts.
            portal_build.ensure_built(log=self.log)
        if self.external_emulator:
            self.log(f"using the emulator at {self.endpoint} (AWS_ENDPOINT_URL)")
        else:
            if port_open(self.emulator_port):
                raise RuntimeError(f"port {self.emulator_port} is taken: set IDP_EMULATOR_PORT or stop what runs there")
            if self.emulator == "localstack":
                self._start_localstack()
            else:
                self.log(f"starting moto server on {self.endpoint}")
                emulator = self._spawn("emulator", [sys.executable, str(ROOT / "scripts" / "emulator.py"), "--port",
                                                    str(self.emulator_port)], self.env)
                wait_http(f"{self.endpoint}/moto-api/", 30, process=emulator)  # execution on: emulator.py does it
        # Provisioning runs in its own process, with exactly the settings the API will get.
        result = subprocess.run([sys.executable, str(ROOT / "scripts" / "provision.py")], cwd=ROOT,
                                env=self.app_env(), capture_output=True, text=True, timeout=180)
        if result.returncode == 3:  # provision.py refused the emulator, and says why
            raise RuntimeError(result.stderr.strip())
        if result.returncode != 0:
            raise RuntimeError(f"provisioning failed:\n{result.stderr[-4000:]}")
        report = json.loads(result.stdout)
        self.outputs = report["outputs"]
        self.log(f"provisioned stack {self.table_prefix}-stack from infrastructure/template.json "
                 f"({sum(1 for k in self.outputs if k.endswith('TableName'))} tables)")
        self.log(report["admin"])
        env = self.app_env()
        if not self.serve_api:
            return self
        if port_open(self.api_port):
            raise RuntimeError(f"port {self.api_port} is taken: set IDP_PORT or stop what runs there")
        api = self._spawn("api", [sys.executable, str(ROOT / "scripts" / "chalice_local.py"), "local", "--host", "127.0.0.1",
                                  "--port", str(self.api_port), "--stage", "local", "--no-autoreload"], env)
        wait_http(f"{self.api_url}/health", 60, process=api)
        self._start_scheduler(env)
        self.log(f"API ready at {self.api_url} after {time.monotonic() - started:.1f}s")
        self.log(f"sign in: POST {self.api_url}/auth/login {report['sign_in']}")
        if self.portal_port is not None:
            portal = self._spawn("portal", [sys.executable, str(ROOT / "scripts" / "portal_server.py"), "--port",
                                            str(self.portal_port), "--api", self.api_url], env)
            wait_http(f"{self.portal_url}/api/health", 30, expect=(200, 503), process=portal)
            self.log(f"portal ready at {self.portal_url}/ (sign in there with the same email and password)")
        return self

    def _start_localstack(self) -> None:
        try:
            python = localstack_venv.ensure(self.env, log=self.log)
        except localstack_venv.NoSuitablePython as missing:
            raise RuntimeError(str(missing)) from None
        dynamodb_port = int(self.env.get("IDP_LOCALSTACK_DYNAMODB_PORT") or free_port())
        self.state_dir = tempfile.mkdtemp(prefix=f"idp-localstack-{self.emulator_port}-")
        self.log(f"starting LocalStack on {self.endpoint} (DynamoDB backend: moto on port {dynamodb_port})")
        localstack = self._spawn("localstack", [str(python), str(ROOT / "scripts" / "localstack_launcher.py"),
                                                "--port", str(self.emulator_port), "--dynamodb-port", str(dynamodb_port),
                                                "--state-dir", self.state_dir, "--moto-python", sys.executable],
                                 {k: v for k, v in self.env.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")})
        # Its init page answers "completed" once every service is loaded (EAGER_SERVICE_LOADING).
        deadline = time.monotonic() + 120
        while True:
            wait_http(f"{self.endpoint}/_localstack/init/ready", max(deadline - time.monotonic(), 1), process=localstack)
            with urllib.request.urlopen(f"{self.endpoint}/_localstack/init/ready", timeout=5) as response:  # noqa: S310
                if json.loads(response.read()).get("completed"):
                    return
            time.sleep(0.2)

    def _start_scheduler(self, env: dict) -> None:
        scheduler = ROOT / "scripts" / "scheduler.py"
        if scheduler.exists():
            self._spawn("scheduler", [sys.executable, str(scheduler)], env)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in reversed(self.processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        if self.state_dir is not None:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self.state_dir = None

    def __enter__(self) -> DevStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait(self) -> int:
        """Block until a child dies or a signal arrives; return an exit code."""
        while True:
            for process in self.processes:
                code = process.poll()
                if code is not None:
                    self.log(f"{process.idp_name} exited with {code}")  # type: ignore[attr-defined]
                    return code or 1
            time.sleep(0.5)


def main() -> int:
    portal = os.environ.get("IDP_PORTAL", "on") != "off"
    stack = DevStack(portal_port=int(os.environ.get("IDP_PORTAL_PORT", "3000")) if portal else None)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        stack.start()
        stack.log("Ctrl-C stops everything")
        return stack.wait()
    except KeyboardInterrupt:
        stack.log("stopping")
        return 0
    except RuntimeError as error:  # a port taken, no Node.js, an emulator that cannot run deployments: said plainly
        stack.log(f"cannot start: {error}")
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
