"""Backfill the index keys that items stored before a release lack (``scripts/backfill``).

Two read paths depend on items that older code did not write:

- ``GET /services?tag=`` is served by the ``service-tags`` table, written in the service's own
  transactions since that table exists: a service stored before it has no tag items;
- ``GET /deployments?status=&environment=`` is served by ``by_status_env``, keyed on
  ``status_env``: a deployment stored before it lacks that attribute.

This one-off admin tool Scans the services and deployments tables (strongly consistent; a Scan is
allowed in admin tools, never on a request path) and writes what is missing through the storage
modules, with conditional writes so a concurrent change is never overwritten:

- a service's missing tag items go in one transaction that checks the service's ``version`` is
  still the one read (every change of its tags, owner or lifecycle bumps it; a deleted service
  fails the check) and puts each item only where none is there; when refused the service is read
  again and the check redone;
- ``status_env`` is set from the status and environment read, only while the deployment still
  lacks it and its status has not moved; when refused the deployment is read again.

Idempotent: a second run writes nothing and says so. Same stack as ``scripts/backup``
(``IDP_TABLE_PREFIX``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``; AWS when unset).

    scripts/backfill --dry-run     # print what would be written, write nothing
    scripts/backfill
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # chalicelib
sys.path.insert(0, str(Path(__file__).resolve().parent))

import backup  # noqa: E402


class BackfillError(Exception):
    """An item kept changing under the backfill; running it again picks it up."""


@dataclass
class Counts:
    written: int = 0  # (or, with --dry-run, would be)
    present: int = 0


def configure() -> None:
    """Settings for the storage modules outside the API: emulator credentials as scripts/backup
    gives them, and a JWT secret source, which the settings insist on though no token is made here."""
    backup.emulator_credentials()
    if not os.environ.get("IDP_JWT_SECRET") and not os.environ.get("IDP_JWT_SECRET_PARAMETER"):
        os.environ["IDP_JWT_SECRET_PARAMETER"] = "unused-by-scripts-backfill"


def backfill_service_tags(*, dry_run: bool, say: Callable[[str], None]) -> Counts:
    """Write the tag index items every service's tags lack."""
    from chalicelib.storage import base, services

    counts = Counts()
    for scanned in services.ServiceRecord.scan(consistent_read=True):
        service: services.ServiceRecord | None = scanned
        for _ in range(base.ATTEMPTS):
            if service is None:
                break  # deleted since the Scan: its tags went with it
            indexed = services.indexed_tags(service)
            missing = [tag for tag in dict.fromkeys(service.tags or []) if tag not in indexed]
            if missing and not dry_run:
                try:
                    with base.transaction() as tx:
                        services.index_missing_tags(tx, service, missing)
                except base.TransactionCancelled:
                    # Changed (or an item written) since read: decide again on what is there now.
                    service = services.ServiceRecord.find(service.id, consistent_read=True)
                    continue
            for tag in missing:
                say(f"{'would write' if dry_run else 'wrote'} service-tags item {tag!r} of service "
                    f"{service.name} ({service.id})")
            counts.written += len(missing)
            counts.present += len(indexed)
            break
        else:
            raise BackfillError(f"service {scanned.id} kept changing during the backfill; run it again")
    return counts


def backfill_status_env(*, dry_run: bool, say: Callable[[str], None]) -> Counts:
    """Set ``status_env`` on every deployment that lacks it."""
    from chalicelib.storage import base, deployments

    counts = Counts()
    for scanned in deployments.DeploymentRecord.scan(consistent_read=True):
        deployment: deployments.DeploymentRecord | None = scanned
        for _ in range(base.ATTEMPTS):
            if deployment is None:
                break
            if deployment.status_env is not None:
                counts.present += 1
                break
            key = deployments.status_env(deployment.status, deployment.environment)
            if not dry_run and not deployments.set_missing_status_env(deployment):
                deployment = deployments.get(deployment.id, consistent=True)  # its status moved: read again
                continue
            say(f"{'would set' if dry_run else 'set'} status_env {key!r} on deployment {deployment.id}")
            counts.written += 1
            break
        else:
            raise BackfillError(f"deployment {scanned.id} kept changing during the backfill; run it again")
    return counts


def backfill(*, dry_run: bool = False, say: Callable[[str], None] = print) -> tuple[Counts, Counts]:
    """Both backfills, then the counts line. Returns (service tag items, deployments)."""
    configure()
    tags = backfill_service_tags(dry_run=dry_run, say=say)
    statuses = backfill_status_env(dry_run=dry_run, say=say)
    verb = "would be written" if dry_run else "written"
    say(f"services: {tags.written} tag items {verb}, {tags.present} already there; "
        f"deployments: {statuses.written} status_env {verb}, {statuses.present} already there")
    if tags.written == statuses.written == 0:
        say("nothing to backfill: every item is already there")
    return tags, statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the service-tags items and deployment status_env "
                                                 "that items stored before those indexes lack.")
    parser.add_argument("--dry-run", action="store_true", help="print what would be written, write nothing")
    args = parser.parse_args(argv)
    try:
        backfill(dry_run=args.dry_run)
    except BackfillError as error:
        print(f"backfill stopped: {error}", file=sys.stderr)
        return 1
    except Exception as error:
        # pynamodb wraps botocore's error (ScanError, UpdateError...) and keeps it as ``cause``.
        cause = getattr(error, "cause", None)
        problem = backup.aws_problem(error) or (backup.aws_problem(cause) if isinstance(cause, Exception) else None)
        if problem is None:
            raise
        print(f"backfill failed: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
