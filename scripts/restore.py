"""Load an archive made by ``scripts/backup`` into a stack (``scripts/restore``).

Before writing anything it reads the whole archive and refuses it when it is not an IDP backup,
has an unknown format version, is truncated (no end marker, or a broken gzip stream) or altered
(counts or checksum differ), or when a table's key schema differs from the target's. It refuses a
target whose tables are not all empty unless ``--force`` (then archived items overwrite items with
the same key; other items stay). The tables must exist: deploy the stack first, or with an
emulator pass ``--provision`` to create the stack from the template (without the first admin).

    scripts/restore backups/idp-local-20261125T220000Z.jsonl.gz
    AWS_ENDPOINT_URL=http://127.0.0.1:4566 scripts/restore --provision archive.jsonl.gz
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import time
import zlib
from pathlib import Path

from backup import (
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    aws_problem,
    decode_item,
    describe,
    dynamodb_client,
    table_prefix,
)

BATCH = 25  # items per BatchWriteItem


def _lines(path: Path):
    started = False
    try:
        with gzip.open(path, "rb") as archive:
            for line in archive:
                started = True
                yield line
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except gzip.BadGzipFile:
        if started:
            raise BackupError(f"{path} is damaged (bad gzip data after the start)") from None
        raise BackupError(f"{path} is not an IDP backup archive (not gzip'd JSON lines)") from None
    except (EOFError, zlib.error) as error:
        raise BackupError(f"{path} is truncated or damaged ({error})") from None


def read_archive(path: Path) -> tuple[dict, dict[str, list[dict]]]:
    """Read and check the whole archive; returns the header and the items per table.
    Raises BackupError, having written nothing, when anything is wrong."""
    header = None
    items: dict[str, list[dict]] = {}
    end = None
    digest = hashlib.sha256()
    for number, line in enumerate(_lines(path), start=1):
        if end is not None:
            raise BackupError(f"{path}: data after the end marker (line {number})")
        try:
            data = json.loads(line)
        except ValueError:
            if header is None:
                raise BackupError(f"{path} is not an IDP backup archive (line 1 is not JSON)") from None
            raise BackupError(f"{path}: line {number} is not JSON (truncated or damaged)") from None
        if header is None:
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise BackupError(f"{path} is not an IDP backup archive (no '{FORMAT}' header)")
            if data.get("format_version") != FORMAT_VERSION:
                raise BackupError(f"{path}: format version {data.get('format_version')!r} is not supported "
                                  f"(this tool reads version {FORMAT_VERSION})")
            header = data
            items = {table["name"]: [] for table in header["tables"]}
            continue
        if not isinstance(data, dict):
            raise BackupError(f"{path}: line {number} is not an item")
        if data.get("end") is True:
            end = data
            continue
        table = data.get("table")
        if table not in items or not isinstance(data.get("item"), dict):
            raise BackupError(f"{path}: line {number} names no table of the archive")
        digest.update(line)
        items[table].append(data["item"])
    if header is None:
        raise BackupError(f"{path} is empty: not an IDP backup archive")
    if end is None:
        raise BackupError(f"{path} is truncated: the end marker is missing")
    counts = {name: len(found) for name, found in items.items()}
    if end.get("counts") != counts:
        differ = {name: f"{counts.get(name)} read, {end.get('counts', {}).get(name)} expected"
                  for name in sorted(set(counts) | set(end.get("counts") or {}))
                  if counts.get(name) != (end.get("counts") or {}).get(name)}
        raise BackupError(f"{path} is damaged: its item counts do not match its end marker ({differ})")
    if end.get("sha256") != digest.hexdigest():
        raise BackupError(f"{path} is damaged or altered: the SHA-256 of its item lines is {digest.hexdigest()}, "
                          f"its end marker says {end.get('sha256')} (the counts match)")
    for table in header["tables"]:
        keys = [k["AttributeName"] for k in table["key_schema"]]
        for item in items[table["name"]]:
            if any(key not in item for key in keys):
                raise BackupError(f"{path}: an item of {table['name']} lacks its key {keys}")
    return header, items


def check_target(client, prefix: str, header: dict, force: bool) -> None:
    missing, mismatched, not_empty = [], [], []
    for table in header["tables"]:
        full_name = f"{prefix}-{table['name']}"
        try:
            target = describe(client, full_name)
        except client.exceptions.ResourceNotFoundException:
            missing.append(full_name)
            continue
        if (target["key_schema"] != table["key_schema"]
                or target["attribute_definitions"] != table["attribute_definitions"]):
            mismatched.append(f"{full_name} (archive {table['key_schema']}, target {target['key_schema']})")
            continue
        if client.scan(TableName=full_name, Limit=1, Select="COUNT")["ScannedCount"]:
            not_empty.append(full_name)
    if missing:
        raise BackupError(f"tables missing in the target: {', '.join(missing)} (deploy the stack first, or pass "
                          "--provision with an emulator)")
    if mismatched:
        raise BackupError(f"key schema differs: {'; '.join(mismatched)}")
    if not_empty and not force:
        raise BackupError(f"the target is not empty ({', '.join(not_empty)}); pass --force to write over it")


def write_items(client, full_name: str, items: list[dict]) -> None:
    for start in range(0, len(items), BATCH):
        requests = [{"PutRequest": {"Item": decode_item(item)}} for item in items[start:start + BATCH]]
        for attempt in range(10):
            unprocessed = client.batch_write_item(RequestItems={full_name: requests}).get("UnprocessedItems", {})
            requests = unprocessed.get(full_name, [])
            if not requests:
                break
            time.sleep(min(0.05 * 2 ** attempt, 2))
        else:
            raise RuntimeError(f"{full_name}: DynamoDB kept {len(requests)} items unprocessed")


def provision_stack(prefix: str) -> None:
    if not os.environ.get("AWS_ENDPOINT_URL"):
        raise BackupError("--provision only works with an emulator (AWS_ENDPOINT_URL); on AWS deploy the stack")
    import provision

    endpoint = os.environ["AWS_ENDPOINT_URL"]
    if not provision.wait_for_endpoint(endpoint):
        raise BackupError(f"nothing answers at AWS_ENDPOINT_URL={endpoint}: start the emulator first "
                          "(scripts/emulator --port <port>)")
    try:
        provision.check_executions_run()
    except provision.CannotExecute as refusal:
        raise BackupError(str(refusal)) from None
    provision.provision(table_prefix=prefix)


def restore(path: Path, *, force: bool = False, provision: bool = False, client=None,
            prefix: str | None = None) -> dict[str, int]:
    """Check everything, then load every item. Returns the count written per table."""
    header, items = read_archive(path)
    client = client or dynamodb_client()
    prefix = prefix or table_prefix()
    if provision:
        provision_stack(prefix)
    check_target(client, prefix, header, force)
    for name, found in items.items():
        write_items(client, f"{prefix}-{name}", found)
    return {name: len(found) for name, found in items.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load a scripts/backup archive into the stack.")
    parser.add_argument("archive", help="the .jsonl.gz archive made by scripts/backup")
    parser.add_argument("--force", action="store_true", help="write into tables that are not empty")
    parser.add_argument("--provision", action="store_true",
                        help="emulator only: create the stack from the template first (no first admin)")
    args = parser.parse_args(argv)
    prefix = table_prefix()
    try:
        counts = restore(Path(args.archive), force=args.force, provision=args.provision, prefix=prefix)
    except BackupError as error:
        print(f"restore refused, nothing written: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        problem = aws_problem(error)
        if problem is None:
            raise
        print(f"restore failed: {problem}", file=sys.stderr)
        return 2
    tables = ", ".join(f"{name} {count}" for name, count in counts.items())
    print(f"restored {sum(counts.values())} items into {prefix} ({tables})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
