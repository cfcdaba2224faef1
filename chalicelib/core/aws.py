"""AWS clients, created once per process from ONE botocore session, which parses each service's
description once (models and transactions use it too: see ``storage.base.shared_connection``).
Endpoints come from the environment (``AWS_ENDPOINT_URL`` points every client at moto or
LocalStack), so the same code runs on AWS."""
from __future__ import annotations

import functools
import threading

from chalicelib.core.settings import get_settings

_lock = threading.Lock()


@functools.cache
def botocore_session():
    from botocore.session import get_session

    return get_session()


@functools.cache
def client(service: str, fail_fast: bool = False):
    """``fail_fast``: short timeouts and no retries, for probes that must answer within a second."""
    from botocore.config import Config

    config = None
    if fail_fast:
        config = Config(connect_timeout=1, read_timeout=2, max_pool_connections=16,
                        retries={"max_attempts": 1, "mode": "standard"})
    # botocore sessions are not thread-safe while creating clients; the clients themselves are.
    with _lock:
        return botocore_session().create_client(service, region_name=get_settings().region, config=config)


def reset_clients() -> None:
    client.cache_clear()
