"""The embedded AWS emulator: moto in server mode, with DynamoDB requests made atomic.

moto applies each DynamoDB request (a conditional put, a TransactWriteItems) as a sequence of
Python steps; under concurrent requests two of them can interleave and both pass a condition that
real DynamoDB would let only one pass. The platform's uniqueness and "one active deployment"
guarantees rest on those conditions, so the emulator serialises DynamoDB requests, as DynamoDB's
own per-item atomicity would. Nothing in the application changes for this.

Step Functions are brought closer to AWS too (``tune_step_functions``): moto parses a state
machine's definition again for every execution (about 0.5 s for the deployment engine's) and builds
a new boto3 client for every DynamoDB task (tens of milliseconds each), so parsed definitions and
clients are kept; and ``$$.State.EnteredTime`` gets AWS's format (``2026-01-01T12:00:00.123Z``,
milliseconds and ``Z``) instead of Python's ``isoformat()`` (microseconds and ``+00:00``).

Step Functions execution is switched on at start (``execution_on``), before anything can create
a state machine, whoever starts the emulator: moto runs no executions otherwise, and machines
created before it is switched on are never found by executions afterwards.

    scripts/emulator --port 4566        # the project's virtualenv; or: python scripts/emulator.py
    python scripts/emulator.py --dynamodb-only --port 4567   # LocalStack's DynamoDB backend

It exits at once (status 1) when the port is taken, and stops on SIGTERM or SIGINT, even when
started with those signals ignored (a background job of a non-interactive shell ignores SIGINT).
"""
from __future__ import annotations

import argparse
import datetime
import os
import signal
import sys
import threading
import types

_LOCK = threading.RLock()


def make_dynamodb_atomic() -> None:
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_idp_atomic", False):
        return
    original = DynamoHandler.call_action

    def call_action(self):
        with _LOCK:
            return original(self)

    DynamoHandler.call_action = call_action
    DynamoHandler._idp_atomic = True


def tune_step_functions() -> None:
    import functools

    from moto.core.models import botocore_stubber
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk_task,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_dynamodb as dynamodb_task,
    )
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    if getattr(AmazonStateLanguageParser, "_idp_cached", False):
        return
    # A parsed definition is reused safely: moto's own Map state runs one parsed iteration
    # program in several threads at once; the state of a run lives in its Environment.
    AmazonStateLanguageParser.parse = staticmethod(functools.lru_cache(maxsize=64)(AmazonStateLanguageParser.parse))
    AmazonStateLanguageParser._idp_cached = True
    new_client = dynamodb_task.boto_client_for
    clients: dict = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials=None):
        key = (region, service, botocore_stubber.enabled)  # in-process mock or server: different endpoints
        with lock:
            if key not in clients:
                clients[key] = new_client(region=region, service=service, state_credentials=state_credentials)
            return clients[key]

    dynamodb_task.boto_client_for = boto_client_for
    aws_sdk_task.boto_client_for = boto_client_for  # the transactions that end a deployment

    from moto.stepfunctions.parser.asl.component.state import state as state_module

    aws_entered_time(state_module)


class AwsDatetime(datetime.datetime):
    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        utc = self.astimezone(datetime.UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def aws_entered_time(state_module) -> None:
    """``$$.State.EnteredTime`` as AWS writes it, in the ASL interpreter's ``state`` module (moto's
    copy, or LocalStack's own: ``localstack_launcher.py``), which uses ``datetime`` only for it."""
    state_module.datetime = types.SimpleNamespace(datetime=AwsDatetime, timezone=datetime.timezone, UTC=datetime.UTC)


def execution_on() -> None:
    """What ``POST /moto-api/config`` with ``{"stepfunctions": {"execute_state_machine": true}}``
    does, done in this process before the server listens."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.set_config({"stepfunctions": {"execute_state_machine": True}})


class Stop(Exception):
    """SIGTERM or SIGINT arrived."""


def _stop(signum, _frame):
    raise Stop(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--dynamodb-only", action="store_true",
                        help="serve as LocalStack's DynamoDB backend (scripts/localstack_launcher.py): no Step Functions")
    args = parser.parse_args(argv)
    # moto's Step Functions call the emulator's own DynamoDB at localhost:$MOTO_PORT (default 5000).
    os.environ["MOTO_PORT"] = str(args.port)
    make_dynamodb_atomic()
    if not args.dynamodb_only:
        tune_step_functions()
        execution_on()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log for every AWS call
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    # Bind here, in the main thread: moto's ThreadedMotoServer binds in its thread and, when the
    # port is taken, waits forever for a server that never starts. (werkzeug itself says "Port ...
    # is in use" and exits 1 for that case; other bind errors come here.)
    try:
        server = make_server(args.host, args.port, DomainDispatcherApplication(create_backend_app), threaded=True,
                             request_handler=MotoRequestHandler)
    except OSError as error:
        print(f"emulator: cannot listen on {args.host}:{args.port}: {error.strerror or error} "
              "(choose another --port, or stop what runs there)", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    parent = os.getppid()
    serves = "DynamoDB only" if args.dynamodb_only else "Step Functions execution on"
    print(f"emulator: moto on http://{args.host}:{args.port} ({serves})", file=sys.stderr, flush=True)
    try:
        while thread.is_alive():
            thread.join(0.5)
            if args.dynamodb_only and os.getppid() != parent:
                return 0  # LocalStack died without stopping its backend (a SIGKILL): do not outlive it
        return 1  # the server thread died
    except Stop:
        return 0
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
