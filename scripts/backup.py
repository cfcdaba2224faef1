"""Export every table of a stack to one archive (``scripts/backup``); ``scripts/restore`` loads it.

The archive is a gzip'd JSON-lines file:

1. a header: ``{"format": "idp-backup", "format_version": 1, "created_at", "source": {...},
   "tables": [{"name", "key_schema", "attribute_definitions"}, ...]}`` (table names without the
   stack's prefix, key schemas as DynamoDB describes them);
2. one line per item: ``{"table": name, "item": <item in DynamoDB's typed JSON>}`` (binary values
   base64-encoded), so every type round-trips exactly;
3. an end marker: ``{"end": true, "counts": {table: n}, "items": n, "sha256": ...}`` over the item
   lines, so a truncated or altered archive is refused before anything is written.

Every table of ``infrastructure/template.json`` is exported with a paginated, strongly consistent
Scan (tables one after the other: not a point-in-time snapshot across tables; on AWS use
point-in-time recovery for that, see README.md 'Operations').

    scripts/backup                       # backups/<prefix>-<UTC time>.jsonl.gz
    scripts/backup -o /safe/place/idp.jsonl.gz
"""
from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infrastructure" / "template.json"
FORMAT = "idp-backup"
FORMAT_VERSION = 1


class BackupError(Exception):
    """The archive or the target cannot be used; nothing was written."""


def table_names_from_template() -> list[str]:
    """The table names (without prefix) the template defines: ``${TablePrefix}-users`` → ``users``."""
    template = json.loads(TEMPLATE.read_text())
    names = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        table_name = resource["Properties"]["TableName"]
        text = table_name["Fn::Sub"] if isinstance(table_name, dict) else table_name
        if not text.startswith("${TablePrefix}-"):
            raise BackupError(f"table name {text!r} in the template does not start with ${{TablePrefix}}-")
        names.append(text.removeprefix("${TablePrefix}-"))
    return names


def emulator_credentials() -> None:
    """An emulator (``AWS_ENDPOINT_URL``) gets dummy credentials when none are set; AWS never does."""
    if os.environ.get("AWS_ENDPOINT_URL") and not os.environ.get("AWS_ACCESS_KEY_ID"):
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


def dynamodb_client():
    """A DynamoDB client for the configured stack (``AWS_ENDPOINT_URL`` points it at an emulator;
    an emulator gets dummy credentials when none are set)."""
    import boto3

    emulator_credentials()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.session.Session().client("dynamodb", region_name=region)


def aws_problem(error: Exception) -> str | None:
    """What to set when the stack cannot be reached: a sentence instead of botocore's traceback."""
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if isinstance(error, NoCredentialsError | NoRegionError):
        return ("no AWS credentials. For the local stack set AWS_ENDPOINT_URL to its emulator "
                "(AWS_ENDPOINT_URL=http://127.0.0.1:4566, the default of scripts/dev); for AWS, set credentials "
                "(AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and AWS_REGION, and "
                "IDP_TABLE_PREFIX to the stage's prefix (e.g. idp-dev)")
    if isinstance(error, EndpointConnectionError):
        if endpoint:
            return (f"nothing answers at AWS_ENDPOINT_URL={endpoint}: start the local stack (scripts/dev, or "
                    "scripts/emulator) or point AWS_ENDPOINT_URL at it")
        return f"cannot reach AWS ({error}); check AWS_REGION and the network"
    return None


def table_prefix() -> str:
    return os.environ.get("IDP_TABLE_PREFIX", "idp-local")


def _encode(value):
    """DynamoDB typed JSON → JSON: binary values become base64 text."""
    if isinstance(value, dict):
        encoded = {}
        for kind, inner in value.items():
            if kind == "B":
                encoded[kind] = base64.b64encode(inner).decode()
            elif kind == "BS":
                encoded[kind] = [base64.b64encode(b).decode() for b in inner]
            elif kind == "M":
                encoded[kind] = {k: _encode(v) for k, v in inner.items()}
            elif kind == "L":
                encoded[kind] = [_encode(v) for v in inner]
            else:
                encoded[kind] = inner
        return encoded
    return value


def decode(value):
    """The reverse of :func:`_encode`."""
    if isinstance(value, dict):
        decoded = {}
        for kind, inner in value.items():
            if kind == "B":
                decoded[kind] = base64.b64decode(inner, validate=True)
            elif kind == "BS":
                decoded[kind] = [base64.b64decode(b, validate=True) for b in inner]
            elif kind == "M":
                decoded[kind] = {k: decode(v) for k, v in inner.items()}
            elif kind == "L":
                decoded[kind] = [decode(v) for v in inner]
            else:
                decoded[kind] = inner
        return decoded
    return value


def encode_item(item: dict) -> dict:
    return {name: _encode(value) for name, value in item.items()}


def decode_item(item: dict) -> dict:
    return {name: decode(value) for name, value in item.items()}


def describe(client, full_name: str) -> dict:
    table = client.describe_table(TableName=full_name)["Table"]
    key_names = {k["AttributeName"] for k in table["KeySchema"]}
    return {"key_schema": table["KeySchema"],
            "attribute_definitions": sorted((a for a in table["AttributeDefinitions"] if a["AttributeName"] in key_names),
                                            key=lambda a: a["AttributeName"])}


def scan_items(client, full_name: str):
    for page in client.get_paginator("scan").paginate(TableName=full_name, ConsistentRead=True):
        yield from page["Items"]


def _line(data: dict) -> bytes:
    return (json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n").encode()


def backup(output: Path, *, client=None, prefix: str | None = None) -> dict:
    """Write the archive to ``output`` (through a temporary file, so a failed backup leaves no
    half archive). Returns the end marker (counts per table)."""
    client = client or dynamodb_client()
    prefix = prefix or table_prefix()
    names = table_names_from_template()
    tables = [{"name": name, **describe(client, f"{prefix}-{name}")} for name in names]
    header = {"format": FORMAT, "format_version": FORMAT_VERSION,
              "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "source": {"table_prefix": prefix, "endpoint": os.environ.get("AWS_ENDPOINT_URL") or "aws"},
              "tables": tables}
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    digest = hashlib.sha256()
    counts = dict.fromkeys(names, 0)
    try:
        with gzip.open(partial, "wb") as archive:
            archive.write(_line(header))
            for name in names:
                for item in scan_items(client, f"{prefix}-{name}"):
                    line = _line({"table": name, "item": encode_item(item)})
                    digest.update(line)
                    archive.write(line)
                    counts[name] += 1
            end = {"end": True, "counts": counts, "items": sum(counts.values()), "sha256": digest.hexdigest()}
            archive.write(_line(end))
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return end


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export every table of the stack to one archive.")
    parser.add_argument("-o", "--output", help="archive path (default backups/<prefix>-<UTC time>.jsonl.gz)")
    args = parser.parse_args(argv)
    prefix = table_prefix()
    output = Path(args.output) if args.output else (
        ROOT / "backups" / f"{prefix}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.jsonl.gz")
    try:
        end = backup(output, prefix=prefix)
    except BackupError as error:
        print(f"backup failed: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        problem = aws_problem(error)
        if problem is None:
            raise
        print(f"backup failed: {problem}", file=sys.stderr)
        return 2
    tables = ", ".join(f"{name} {count}" for name, count in end["counts"].items())
    print(f"backed up {end['items']} items of {len(end['counts'])} tables ({tables}) from {prefix} to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
