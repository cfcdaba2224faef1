"""boto3 clients, created once per process. Endpoints come from the environment
(``AWS_ENDPOINT_URL`` points every client at moto or LocalStack), so the same code runs on AWS."""
from __future__ import annotations

import functools

from chalicelib.core.settings import get_settings


@functools.cache
def client(service: str):
    import boto3

    return boto3.session.Session().client(service, region_name=get_settings().region)


def reset_clients() -> None:
    client.cache_clear()
