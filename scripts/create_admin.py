"""Create the first admin of a deployed stage, once: the same ``ensure_first_admin`` that
``scripts/dev`` runs locally, pointed at the stage's tables on AWS.

    IDP_ADMIN_EMAIL=you@example.com IDP_ADMIN_PASSWORD='...' scripts/create-admin dev

Uses your own AWS credentials (profile or environment) and region; they need to read and write
the stage's tables. Idempotent: an existing user with that email is left alone. The table prefix
is the stage's (``.chalice/config.json``) unless ``IDP_TABLE_PREFIX`` overrides it, as it must
when the stack was deployed with another ``TablePrefix``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import package_stack  # noqa: E402

MIN_PASSWORD, MAX_PASSWORD = 10, 128  # the API's own rule for passwords


class AdminError(RuntimeError):
    pass


def admin_environment(stage: str, environ: dict[str, str], profile_region: str | None = None) -> dict[str, str]:
    """The settings the provisioning code runs with for ``stage`` (checked, nothing defaulted that
    would be unsafe on AWS)."""
    settings = package_stack.stage_settings(stage)
    email = environ.get("IDP_ADMIN_EMAIL", "").strip()
    password = environ.get("IDP_ADMIN_PASSWORD", "")
    if "@" not in email:
        raise AdminError("set IDP_ADMIN_EMAIL to the first admin's email")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        # Unlike the local stack, no default password: this account guards a real deployment.
        raise AdminError(f"set IDP_ADMIN_PASSWORD ({MIN_PASSWORD} to {MAX_PASSWORD} characters)")
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or profile_region
    if not region:
        raise AdminError("no AWS region: set AWS_REGION (or a region in your AWS profile)")
    return {
        "IDP_STAGE": stage,
        "IDP_TABLE_PREFIX": environ.get("IDP_TABLE_PREFIX") or settings["IDP_TABLE_PREFIX"],
        # Settings insist on a secret source; creating a user needs no token, so SSM is never read.
        "IDP_JWT_SECRET_PARAMETER": settings["IDP_JWT_SECRET_PARAMETER"],
        "IDP_ADMIN_EMAIL": email,
        "IDP_ADMIN_PASSWORD": password,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0].startswith("-"):
        print(f"usage: scripts/create-admin <stage>   (stages: {', '.join(package_stack.deployable_stages())})",
              file=sys.stderr)
        return 2
    try:
        import boto3

        env = admin_environment(argv[0], dict(os.environ), boto3.session.Session().region_name)
    except (AdminError, package_stack.PackagingError) as error:
        print(f"create-admin: {error}", file=sys.stderr)
        return 2
    os.environ.pop("IDP_JWT_SECRET", None)
    os.environ.update(env)
    import provision

    print(f"stage {argv[0]}: tables {env['IDP_TABLE_PREFIX']}-* in {env['AWS_REGION']}")
    print(provision.ensure_first_admin())
    return 0


if __name__ == "__main__":
    sys.exit(main())
