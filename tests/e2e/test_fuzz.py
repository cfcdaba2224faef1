"""Fuzzing the whole stack against its own OpenAPI document with Schemathesis.

The document is generated from the route table (so every route, today's and tomorrow's, is
fuzzed) and the requests go over HTTP to ``chalice local`` backed by the moto server, with an
admin's token. Every response is checked for: a 5xx, a status / content type / header the
document does not declare, a body that breaks its schema, invalid input that was accepted,
schema-valid input that was refused, an undeclared method not answered 405, and leaks (hashes,
stack traces, internal names: tests/hygiene.py).

Size: the suite runs the examples and fuzzing phases with a budget of ``IDP_FUZZ_BUDGET`` generated
cases (default 400) shared by every operation: at least 8 and at most 50 each (39 operations: 10 each,
about a minute). ``IDP_FUZZ_EXAMPLES`` sets the number per operation and ``IDP_FUZZ_PHASES`` the phases;
the coverage phase (every parameter's boundaries, missing and wrong-typed values, undeclared methods) is
deterministic but costs ~2 s per operation, so it belongs to the longer run by hand:

    IDP_FUZZ_EXAMPLES=500 IDP_FUZZ_PHASES=examples,coverage,fuzzing \
        python -m pytest tests/e2e/test_fuzz.py -p no:cacheprovider -s
"""
from __future__ import annotations

import json
import os
import threading
import time
from urllib.parse import unquote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import positive_data_acceptance

from chalicelib.api.openapi import build_document
from chalicelib.api.routing import ROUTES
from tests import hygiene
from tests.e2e.stack import E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, http, running_stack

pytestmark = pytest.mark.e2e

DOCUMENT = build_document()
OPERATIONS = len(ROUTES)
BUDGET = int(os.environ.get("IDP_FUZZ_BUDGET", "400"))
EXAMPLES = int(os.environ.get("IDP_FUZZ_EXAMPLES") or max(8, min(50, BUDGET // max(OPERATIONS, 1))))
# examples: the documented examples; coverage: every parameter's boundaries, missing and wrong-typed values,
# undeclared methods (deterministic); fuzzing: EXAMPLES generated cases, valid and invalid.
PHASES = set(os.environ.get("IDP_FUZZ_PHASES", "examples,fuzzing").split(","))

CONFIG = schemathesis.Config.from_dict({
    # The admin's token is sent on every request by the test; Schemathesis does not generate or negate the
    # Authorization header itself (its `ignored_auth` check still replays each request without it).
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "with-security-parameters": False},
    "phases": {
        "examples": {"enabled": "examples" in PHASES},
        "coverage": {"enabled": "coverage" in PHASES},
        # Generated values only: a value learnt from one response (the admin's own id, say) could make the
        # fuzzer disable or demote the admin whose token it uses, and the rest of the run would test nothing.
        "fuzzing": {"enabled": "fuzzing" in PHASES, "extra-data-sources": {"responses": False}},
        "stateful": {"enabled": False},
    },
    # Schemathesis' own list of statuses that reject invalid input, plus 413: a body over the limit is
    # refused before it is read (a huge `keys` array is invalid *and* too large).
    "checks": {"negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422,
                                                                 428, 429, "5xx"]}},
})
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
if os.environ.get("IDP_FUZZ_NAME_REGEX"):  # one or a few operations, e.g. "GET /audit"
    schema = schema.include(name_regex=os.environ["IDP_FUZZ_NAME_REGEX"])


class Traffic:
    """Every request the run sent (including the checks' own re-sends) and what came back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.by_status: dict[int, int] = {}
        self.by_operation: dict[str, list] = {}  # label -> [requests, seconds]

    def hook(self, response, *args, **kwargs):
        with self.lock:
            self.requests += 1
            self.by_status[response.status_code] = self.by_status.get(response.status_code, 0) + 1

    def timed(self, label: str, seconds: float) -> None:
        entry = self.by_operation.setdefault(label, [0, 0.0])
        entry[0] += 1
        entry[1] += seconds


TRAFFIC = Traffic()
STACK_NAME = "fuzz"
STACK_PREFIX = f"idp-e2e-{STACK_NAME}"  # the table prefix running_stack gives it


@pytest.fixture(scope="module")
def stack():
    with running_stack(STACK_NAME) as running:
        assert running.table_prefix == STACK_PREFIX
        status, _, body = http("POST", f"{running.api_url}/auth/login",
                               {"email": E2E_ADMIN_EMAIL, "password": E2E_ADMIN_PASSWORD})
        assert status == 200, body
        running.admin_token = body["access_token"]
        session = requests.Session()
        # chalice local writes a response's headers and body separately: on a kept-alive connection Nagle's
        # algorithm and the client's delayed ACK add ~40 ms to every request. A fresh connection each time avoids it.
        session.headers["Connection"] = "close"
        session.hooks["response"].append(TRAFFIC.hook)
        running.session = session
        yield running
        session.close()
        print(f"\nfuzzing: {EXAMPLES} examples per operation, {OPERATIONS} operations, {TRAFFIC.requests} requests, "
              f"statuses {dict(sorted(TRAFFIC.by_status.items()))}")
        for label, (count, seconds) in sorted(TRAFFIC.by_operation.items(), key=lambda item: -item[1][1]):
            print(f"  {label}: {count} cases, {seconds:.1f}s")


def _server_validated(operation) -> set[str]:
    """The parameters and body fields the document marks ``x-server-validated``: validity the schema
    cannot express (an opaque signed cursor, the current password, an order of two fields, a
    rule that depends on the kind of credential), so a schema-valid value may still be a 400."""
    definition = operation.definition.raw
    names = {parameter["name"] for parameter in definition.get("parameters", [])
             if "x-server-validated" in parameter.get("schema", {})}
    body = definition.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body and "$ref" in body:
        body = DOCUMENT["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    names |= {name for name, prop in (body or {}).get("properties", {}).items() if "x-server-validated" in prop}
    return names


def schema_valid_input_is_accepted(ctx, response, case):
    """Schemathesis' positive_data_acceptance, except for a 400 that names only fields the document
    marks ``x-server-validated``."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except Failure:
        if response.status_code == 400:
            marked = _server_validated(case.operation)
            try:
                body = json.loads(response.content)
            except ValueError:
                body = None
            if isinstance(body, dict) and "errors" in body:  # problem+json names each field
                fields = [error.get("field") for error in body["errors"] or []]
                if fields and set(fields) <= marked:
                    return None
            elif marked and ROUTES[(case.method.upper(), case.path)].responses.get(400) is not None:
                # A protocol's own error shape (OFREP's {key, errorCode, errorDetails}) names no field:
                # accepted where the document marks the fields the server validates further.
                return None
        raise


def response_hygiene(ctx, response, case):
    """No hashes, stack traces or internal names in any answer, and the security headers on all."""
    text = hygiene.response_text(dict(response.headers), response.content.decode("utf-8", "replace"))
    # What the request itself carried is an echo, not a leak (a user may be named "key_hash").
    body = response.request.body
    sent = f"{unquote(response.request.url)}\n{body.decode('utf-8', 'replace') if isinstance(body, bytes) else body}"
    found = hygiene.leaks(text, response.status_code, table_prefix=STACK_PREFIX, sent=sent)
    assert not found, f"{case.operation.label} answered {response.status_code} leaking {found}"
    if response.request.method == "OPTIONS":
        return  # answered by chalice local itself (a CORS preflight), as API Gateway would: the app never sees it
    missing = hygiene.missing_headers(dict(response.headers))
    assert not missing, f"{case.operation.label} answered {response.status_code} without {missing}"


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_the_api_keeps_its_contract_under_fuzzing(case, stack):
    started = time.perf_counter()
    try:
        case.call_and_validate(base_url=stack.api_url, session=stack.session,
                               headers={"Authorization": f"Bearer {stack.admin_token}"},
                               additional_checks=[schema_valid_input_is_accepted, response_hygiene],
                               excluded_checks=[positive_data_acceptance])
    finally:
        TRAFFIC.timed(case.operation.label, time.perf_counter() - started)
