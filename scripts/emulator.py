"""The embedded AWS emulator: moto in server mode, with DynamoDB requests made atomic.

moto applies each DynamoDB request (a conditional put, a TransactWriteItems) as a sequence of
Python steps; under concurrent requests two of them can interleave and both pass a condition that
real DynamoDB would let only one pass. The platform's uniqueness and "one active deployment"
guarantees rest on those conditions, so the emulator serialises DynamoDB requests, as DynamoDB's
own per-item atomicity would. Nothing in the application changes for this.

    python scripts/emulator.py --host 127.0.0.1 --port 4566
"""
from __future__ import annotations

import argparse
import threading

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args()
    make_dynamodb_atomic()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log for every AWS call
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
