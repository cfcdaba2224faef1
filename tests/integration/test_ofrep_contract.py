"""Our OFREP answers against the official OFREP OpenAPI document (tests/fixtures/ofrep-openapi.yaml,
open-feature/protocol service/openapi.yaml): success, per-flag and request errors, bulk, 304.

Two readings of that document, each explicit and narrow:
- the success schema's value ``oneOf`` (boolean, string, integer, float, object, code default) is read
  as ``anyOf``: its "code default" branch has no properties and so matches every object, and an
  integer matches both the integer and the float branch, so no ordinary answer satisfies ``oneOf``;
- its ``reason`` enum (STATIC, TARGETING_MATCH, SPLIT, DISABLED, UNKNOWN) lacks ``DEFAULT``, which we
  answer for "environment not targeted" and OpenFeature's providers accept. A ``DEFAULT`` answer is
  checked against the document with exactly that one value added, and must fail the unmodified
  document on the reason alone. Every other answer must pass the document as published.
"""
from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.integration.test_flags import create

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ofrep-openapi.yaml"
SINGLE = "/ofrep/v1/evaluate/flags/{}"
BULK = "/ofrep/v1/evaluate/flags"
OUR_EXTRA_REASON = "DEFAULT"


def _document() -> dict:
    return yaml.safe_load(FIXTURE.read_text())


def _value_one_of_as_any_of(document: dict) -> dict:
    document = copy.deepcopy(document)
    value_types = document["components"]["schemas"]["evaluationSuccess"]["allOf"][1]
    assert set(value_types) == {"oneOf"}, "the published document changed: revisit this reading"
    value_types["anyOf"] = value_types.pop("oneOf")
    return document


def _with_default_reason(document: dict) -> dict:
    document = copy.deepcopy(document)
    reason = document["components"]["schemas"]["evaluationSuccess"]["allOf"][0]["properties"]["reason"]
    assert OUR_EXTRA_REASON not in reason["enum"], "the document lists DEFAULT now: drop this difference"
    reason["enum"] = [*reason["enum"], OUR_EXTRA_REASON]
    return document


PUBLISHED = _value_one_of_as_any_of(_document())
WITH_DEFAULT = _with_default_reason(PUBLISHED)


def _errors(document: dict, component: str, instance) -> list[jsonschema.ValidationError]:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": document["components"],
              "$ref": f"#/components/schemas/{component}"}
    validator = jsonschema.Draft202012Validator(schema)
    return list(validator.iter_errors(instance))


def _reasons_used(instance) -> set[str]:
    items = instance.get("flags", [instance]) if isinstance(instance, dict) else []
    return {item.get("reason") for item in items if "reason" in item}


def _reason_replaced(instance, replacement: str):
    instance = copy.deepcopy(instance)
    for item in instance.get("flags", [instance]):
        if item.get("reason") == OUR_EXTRA_REASON:
            item["reason"] = replacement
    return instance


def assert_conforms(component: str, instance) -> None:
    """``instance`` is valid under the published document's ``component``, except for our DEFAULT reason."""
    if OUR_EXTRA_REASON not in _reasons_used(instance):
        assert _errors(PUBLISHED, component, instance) == [], instance
        return
    assert _errors(WITH_DEFAULT, component, instance) == [], instance
    # The one difference, and no other: the published document refuses it, and accepts it as soon as
    # DEFAULT is replaced by one of its own reasons.
    assert _errors(PUBLISHED, component, instance), instance
    assert _errors(PUBLISHED, component, _reason_replaced(instance, "UNKNOWN")) == [], instance


@pytest.fixture
def flags(api, admin):
    create(api, admin, "on-everywhere", enabled=True)  # STATIC
    create(api, admin, "switched-off")  # DISABLED
    create(api, admin, "prod-only", enabled=True, environments=["production"])  # TARGETING_MATCH / DEFAULT
    create(api, admin, "half", enabled=True, rollout_percentage=50)  # SPLIT
    return admin


def _post(api, token, path, body=None, **kwargs):
    reply = api.post(path, body, token=token, **kwargs)
    if reply.status != 304:
        assert reply.header("Content-Type") == "application/json", (path, reply.status, reply.headers)
    return reply


def test_single_flag_successes_conform(api, flags):
    seen = set()
    for key, environment in (("on-everywhere", "production"), ("switched-off", "production"),
                             ("prod-only", "production"), ("prod-only", "staging"), ("half", "production")):
        for user in ("user-1", "user-2", "user-3", "user-4"):
            reply = _post(api, flags.token, SINGLE.format(key),
                          {"context": {"targetingKey": user, "environment": environment, "plan": "pro"}})
            assert reply.status == 200, reply.body
            assert_conforms("serverEvaluationSuccess", reply.body)
            seen.add((reply.body["reason"], reply.body["value"]))
    assert {reason for reason, _ in seen} == {"STATIC", "DISABLED", "TARGETING_MATCH", "DEFAULT", "SPLIT"}
    assert {value for reason, value in seen if reason == "SPLIT"} == {True, False}


def test_single_flag_errors_conform(api, flags):
    cases = [
        ("half", {"context": {"environment": "production"}}, None, 400, "evaluationFailure"),
        ("on-everywhere", {"context": {"targetingKey": "u"}}, None, 400, "evaluationFailure"),
        ("on-everywhere", None, b"{not json", 400, "evaluationFailure"),
        ("on-everywhere", {"context": ["x"]}, None, 400, "evaluationFailure"),
        ("nothing-here", {"context": {"targetingKey": "u", "environment": "production"}}, None, 404, "flagNotFound"),
    ]
    for key, body, raw, status, component in cases:
        reply = _post(api, flags.token, SINGLE.format(key), body, raw=raw)
        assert reply.status == status, reply.body
        assert_conforms(component, reply.body)
        assert reply.body["key"] == key


def test_bulk_answers_conform(api, flags):
    # Without targetingKey the split flag is a per-flag failure inside a 200.
    for context in ({"environment": "staging"}, {"environment": "production", "targetingKey": "user-9"}):
        reply = _post(api, flags.token, BULK, {"context": context})
        assert reply.status == 200, reply.body
        assert_conforms("bulkEvaluationSuccess", reply.body)
        assert reply.header("ETag")
    failures = [f for f in _post(api, flags.token, BULK, {"context": {"environment": "staging"}}).body["flags"]
                if "errorCode" in f]
    assert [f["key"] for f in failures] == ["half"]

    for body, raw in (({"context": {}}, None), (None, b"[1]"), (None, b"{nope")):
        bad = _post(api, flags.token, BULK, body, raw=raw)
        assert bad.status == 400, bad.body
        assert_conforms("bulkEvaluationFailure", bad.body)


def test_the_304_is_bodiless_as_the_document_says(api, flags):
    body = {"context": {"environment": "production", "targetingKey": "user-1"}}
    etag = _post(api, flags.token, BULK, body).header("ETag")
    not_modified = api.post(BULK, body, token=flags.token, headers={"If-None-Match": etag})
    assert not_modified.status == 304
    assert "content" not in _document()["paths"][BULK]["post"]["responses"]["304"]
    assert not_modified.body in (None, "") and not_modified.header("Content-Type") is None


def test_the_published_document_is_read_as_the_docstring_says():
    """The two readings above are needed, and each is needed only where it is applied."""
    success = {"key": "k", "value": True, "variant": "on", "reason": "STATIC", "metadata": {"reason_code": "x"}}
    assert _errors(PUBLISHED, "serverEvaluationSuccess", success) == []
    assert _errors(_document(), "serverEvaluationSuccess", success), "oneOf is satisfiable now: drop the reading"
    assert _errors(PUBLISHED, "serverEvaluationSuccess", {**success, "reason": "DEFAULT"})
    assert _errors(WITH_DEFAULT, "serverEvaluationSuccess", {**success, "reason": "DEFAULT"}) == []
    # Not loosened elsewhere: a made-up reason, a missing key and a wrong value type still fail.
    assert _errors(WITH_DEFAULT, "serverEvaluationSuccess", {**success, "reason": "BECAUSE"})
    assert _errors(WITH_DEFAULT, "serverEvaluationSuccess", {k: v for k, v in success.items() if k != "key"})
    assert _errors(WITH_DEFAULT, "serverEvaluationSuccess", {**success, "metadata": {"reason_code": ["list"]}})
