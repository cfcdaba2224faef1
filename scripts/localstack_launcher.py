"""Start LocalStack (host mode, no Docker) with its DynamoDB API served by moto's server.

This is the one place that touches LocalStack's internals, four of them, each checked against the
release ``requirements-localstack.txt`` pins by ``tests/e2e/test_localstack.py`` (``patch_targets``),
so an upgrade that moves one fails there, loudly:

- ``DynamodbServer.do_start_thread``: LocalStack serves DynamoDB by starting DynamoDB Local, a
  vendor-licensed Java jar it downloads at the first DynamoDB call; neither the jar nor the
  download is possible here. The replacement starts ``scripts/emulator.py --dynamodb-only`` (moto's
  server from the project's virtualenv, DynamoDB requests made atomic) on the port LocalStack
  chose. LocalStack's own DynamoDB layer stays in front of it: request validation, the TTL reaper,
  the account and region mapping.
- the ASL ``state`` module's ``datetime``: ``$$.State.EnteredTime`` in AWS's format
  (``aws_entered_time``), as the moto emulator does.
- ``VariableReferencesStaticAnalyser.process_and_get``: DescribeStateMachine stops re-parsing the
  whole definition at every call (``cache_variable_references``).
- the runtime server's ``endpoints``: this release binds its gateway to every interface whatever
  host ``GATEWAY_LISTEN`` names (its Twisted server drops an IPv4 host); ``loopback_only`` binds
  it to 127.0.0.1, like the moto emulator.

Run with the LocalStack virtualenv's Python (``scripts/devstack.py`` does this):

    .venv-localstack/bin/python scripts/localstack_launcher.py --port 4566 --dynamodb-port 4567 \\
        --state-dir /tmp/ls-4566 --moto-python .venv/bin/python

Every port and directory it uses is its own, so two instances run side by side (parallel test
workers): the gateway on ``--port``, the DynamoDB backend on ``--dynamodb-port``, files, state and
temporary files under ``--state-dir``; its DNS server and its usage analytics are off.
SIGINT or SIGTERM stops LocalStack, which stops the DynamoDB backend it started.
"""
from __future__ import annotations

import argparse
import functools
import inspect
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What LocalStack serves here: what the platform and its template use.
SERVICES = "dynamodb,stepfunctions,cloudformation,sns,events,ssm,sts,iam,s3,cloudwatch,logs"


def localstack_environment(port: int, dynamodb_port: int, state_dir: Path) -> dict[str, str]:
    """The settings LocalStack reads from the environment at import time."""
    return {
        "SERVICES": SERVICES,
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "DYNAMODB_LOCAL_PORT": str(dynamodb_port),
        "FILESYSTEM_ROOT": str(state_dir / "filesystem"),
        "DNS_ADDRESS": "0",  # no DNS server (it would bind port 53, one per machine)
        "DISABLE_EVENTS": "1",  # no usage analytics (no internet here)
        "EAGER_SERVICE_LOADING": "1",  # every service loaded before /_localstack/init/ready says completed
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        # CloudFront is not in LocalStack's free edition: its resources become placeholders (this
        # release's default, which it says later releases will drop unless set).
        "CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES": "1",
        "LOCALSTACK_HOST": f"127.0.0.1:{port}",
    }


def replace_dynamodb_backend(backend: list[str]) -> None:
    """Have LocalStack start ``backend + ["--host", "127.0.0.1", "--port", <its port>]`` as its
    DynamoDB backend instead of DynamoDB Local."""
    from localstack.services.dynamodb import server
    from localstack.utils.common import TMP_THREADS, ShellCommandThread

    def do_start_thread(self) -> ShellCommandThread:
        thread = ShellCommandThread([*backend, "--host", "127.0.0.1", "--port", str(self.port)], strip_color=True,
                                    log_listener=server._log_listener, auto_restart=True, name="dynamodb-moto")
        TMP_THREADS.append(thread)  # LocalStack stops these threads (and their processes) at shutdown
        thread.start()
        return thread

    server.DynamodbServer.do_start_thread = do_start_thread


def aws_entered_time() -> None:
    """``$$.State.EnteredTime`` in AWS's format (``...T12:00:00.123Z``; LocalStack writes Python's
    ``...T12:00:00.123456+00:00``): the deployment engine stores it, and timestamps of both
    formats side by side would neither compare as equal nor sort in time order."""
    from localstack.services.stepfunctions.asl.component.state import state

    sys.path.insert(0, str(ROOT / "scripts"))
    from emulator import aws_entered_time as in_module  # the same change moto gets; standard library only

    in_module(state)


def cache_variable_references() -> None:
    """DescribeStateMachine parses the whole definition again each time to list its variable
    references: 0.3 to 2.5 s for the deployment engine's 68 KB here, which is /health's Step
    Functions probe (a 2 s budget). A definition's references never change: keep them."""
    from localstack.services.stepfunctions.asl.static_analyser import variable_references_static_analyser as module

    analyser = module.VariableReferencesStaticAnalyser
    analyser.process_and_get = staticmethod(functools.lru_cache(maxsize=64)(analyser.process_and_get))


def loopback_only() -> None:
    """The gateway on 127.0.0.1 only: an emulator holds no secrets, but it answers anyone."""
    import types

    from localstack.runtime.server import twisted as runtime_server
    from twisted.internet import endpoints

    runtime_server.endpoints = types.SimpleNamespace(
        TCP4ServerEndpoint=functools.partial(endpoints.TCP4ServerEndpoint, interface="127.0.0.1"),
        TCP6ServerEndpoint=endpoints.TCP6ServerEndpoint)


def patch_targets() -> dict[str, str]:
    """What the launcher changes, as the pinned LocalStack has it (for the test)."""
    from localstack.runtime.server import twisted as runtime_server
    from localstack.services.dynamodb.server import DynamodbServer
    from localstack.services.stepfunctions.asl.component.state import state
    from localstack.services.stepfunctions.asl.static_analyser import variable_references_static_analyser as module

    return {"DynamodbServer.do_start_thread": str(inspect.signature(DynamodbServer.do_start_thread)),
            "state.datetime": state.datetime.__name__,
            "VariableReferencesStaticAnalyser.process_and_get":
                str(inspect.signature(module.VariableReferencesStaticAnalyser.process_and_get)),
            "runtime_server.endpoints": runtime_server.endpoints.__name__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="LocalStack's gateway port")
    parser.add_argument("--dynamodb-port", type=int, required=True, help="port of its DynamoDB backend (moto)")
    parser.add_argument("--state-dir", type=Path, required=True, help="this instance's files")
    parser.add_argument("--moto-python", default=sys.executable,
                        help="the Python whose moto serves DynamoDB (the project's virtualenv)")
    args = parser.parse_args(argv)
    (args.state_dir / "filesystem").mkdir(parents=True, exist_ok=True)  # its temporary files too, in host mode
    os.environ.update(localstack_environment(args.port, args.dynamodb_port, args.state_dir.resolve()))
    os.environ.setdefault("LS_LOG", "warn")  # not a line per AWS request (LS_LOG=info shows them)
    # A Fail state or a caught task error is logged as an ERROR with the whole parsed state machine
    # (tens of KB a line); the deployment engine fails on purpose (a failed health check).
    os.environ.setdefault("LOG_LEVEL_OVERRIDES", "localstack.services.stepfunctions.asl.component.eval_component=CRITICAL")
    replace_dynamodb_backend([args.moto_python, str(ROOT / "scripts" / "emulator.py"), "--dynamodb-only"])
    aws_entered_time()
    cache_variable_references()
    loopback_only()
    from localstack.runtime.main import main as localstack_main

    localstack_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
