"""Build one deployable CloudFormation (SAM) stack for a stage: what ``chalice package`` generates
(the API, the functions of schedules and event handlers, their roles) merged with everything in
``infrastructure/template.json`` (tables, state machine, roles, topic, alarms, the portal's bucket
and CloudFront distribution), plus the built portal to upload to that bucket.

    python scripts/package_stack.py dev      # -> out/dev/sam.json + out/dev/deployment.zip + out/dev/portal/
    scripts/package dev                      # the same, through the project's virtualenv

Nothing is copied by hand: the stage's values come from ``.chalice/config.json``. Two small
generated steps surround ``chalice package``:

- before: the infrastructure template with its parameter defaults set for the stage
  (``TablePrefix``) plus the ``JwtSecretParameterName`` parameter the Lambda policy refers to;
- after: CloudFront's ``/api/*`` origin points at the generated ``RestAPI``, and every function
  gets its name from the table prefix, its environment wired to the template
  (``IDP_TABLE_PREFIX`` = ``Ref TablePrefix``, ``IDP_STATE_MACHINE_ARN`` = ``Ref`` of the state
  machine, ``IDP_ALERTS_TOPIC_ARN`` = ``Ref`` of the topic, when they exist) and a log group with
  the stage's retention; last, the built portal is copied next to the template.

No AWS credentials and no AWS call: ``chalice package`` only needs a region name (for service
principals), and third-party wheels for the code bundle, which it downloads from PyPI once per
``requirements.txt`` and caches in ``.chalice/deployments/``.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
TEMPLATE = ROOT / "infrastructure" / "template.json"
OUT = ROOT / "out"

FUNCTION = "AWS::Serverless::Function"
STATE_MACHINE = "AWS::StepFunctions::StateMachine"
TOPIC = "AWS::SNS::Topic"
REST_API = "RestAPI"  # the logical id chalice package gives the API
API_ORIGIN_PARAMETER = "ApiOriginDomainName"

# Settings that are template parameters (so the Lambda policy, which refers to the parameters,
# always matches what the code reads, even when a parameter is overridden at deploy time).
PARAMETER_OF_SETTING = {
    "IDP_TABLE_PREFIX": "TablePrefix",
    "IDP_JWT_SECRET_PARAMETER": "JwtSecretParameterName",
}
REQUIRED_SETTINGS = ("IDP_STAGE", "IDP_TABLE_PREFIX", "IDP_JWT_SECRET_PARAMETER", "IDP_LOG_LEVEL",
                     "IDP_LOG_RETENTION_DAYS")
# Values CloudWatch Logs accepts for RetentionInDays.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
# Environment variables that would let the package reach AWS or pick up a developer's profile.
AWS_IDENTITY = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN")


# The largest template CloudFormation accepts inline (TemplateBody); a bigger one must be uploaded to
# S3 first, which `aws cloudformation deploy --s3-bucket` does.
INLINE_TEMPLATE_LIMIT = 51_200
# The bucket `aws cloudformation package` uploads the code bundle to and `deploy` the template to:
# one per account and region, created once by the first command that needs it.
ARTIFACT_BUCKET = ('ARTIFACT_BUCKET="idp-artifacts-$(aws sts get-caller-identity --query Account --output text)'
                   '-${AWS_REGION:-$(aws configure get region)}"')


# What package() writes into out/<stage>/ (and `aws cloudformation package` adds packaged.json).
PACKAGE_FILES = ("sam.json", "deployment.zip", "packaged.json", "portal")


# Cache-Control of the portal's hashed files (a new build gives new names); index.html is no-cache.
IMMUTABLE = "public, max-age=31536000, immutable"


class PackagingError(RuntimeError):
    """The stage or the templates cannot make a consistent stack."""


def load_config() -> dict:
    return json.loads(CHALICE_CONFIG.read_text())


def deployable_stages(config: dict | None = None) -> list[str]:
    """Stages that ship to AWS: those that name their own Lambda policy (``local`` does not)."""
    config = config or load_config()
    return sorted(name for name, stage in config["stages"].items() if stage.get("autogen_policy") is False)


def stage_settings(stage: str, config: dict | None = None) -> dict[str, str]:
    """The stage's environment variables (its whole configuration), checked."""
    config = config or load_config()
    if stage not in deployable_stages(config):
        raise PackagingError(f"unknown or local-only stage {stage!r}; deployable stages: {deployable_stages(config)}")
    settings = {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}
    missing = [name for name in REQUIRED_SETTINGS if not settings.get(name)]
    if missing:
        raise PackagingError(f"stage {stage} does not set {', '.join(missing)} in .chalice/config.json")
    if "IDP_JWT_SECRET" in settings:
        raise PackagingError(f"stage {stage} must not carry IDP_JWT_SECRET: on AWS the secret lives in SSM")
    if not settings["IDP_JWT_SECRET_PARAMETER"].startswith("/"):
        raise PackagingError("IDP_JWT_SECRET_PARAMETER must be a hierarchical SSM name starting with /")
    if int(settings["IDP_LOG_RETENTION_DAYS"]) not in LOG_RETENTION_DAYS:
        raise PackagingError(f"IDP_LOG_RETENTION_DAYS must be one of {LOG_RETENTION_DAYS} (CloudWatch Logs)")
    return settings


def merge_template(stage: str, settings: dict[str, str] | None = None) -> dict:
    """The infrastructure template with its parameter defaults set for the stage."""
    settings = settings or stage_settings(stage)
    template = json.loads(TEMPLATE.read_text())
    parameters = template.setdefault("Parameters", {})
    if "TablePrefix" not in parameters:
        raise PackagingError("infrastructure/template.json lost its TablePrefix parameter")
    parameters["TablePrefix"]["Default"] = settings["IDP_TABLE_PREFIX"]
    parameters.setdefault("JwtSecretParameterName", {
        "Type": "String",
        "AllowedPattern": "^(/[A-Za-z0-9_.-]+)+$",
        "Description": "SSM Parameter Store SecureString holding the JWT signing secret (the functions may read "
                       "this one parameter only).",
    })["Default"] = settings["IDP_JWT_SECRET_PARAMETER"]
    return template


def policy_file(stage: str, config: dict | None = None) -> Path:
    """The Lambda policy file chalice uses for ``stage`` (``autogen_policy`` is off)."""
    config = config or load_config()
    name = config["stages"][stage].get("iam_policy_file") or config.get("iam_policy_file") or f"policy-{stage}.json"
    return ROOT / ".chalice" / name


def references(node) -> set[str]:
    """Logical ids a template fragment refers to (Ref, Fn::GetAtt, ``${X}``/``${X.Attr}`` in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found.update(name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text))
                if not isinstance(value, str):
                    found.update(references(value[1]))
            else:
                found.update(references(value))
    elif isinstance(node, list):
        for value in node:
            found.update(references(value))
    return found


def without_resources(template: dict, names: set[str]) -> dict:
    """The template less the resources ``names`` and everything that refers to them (Ref, GetAtt,
    ``${...}``, DependsOn), transitively, and the outputs that would name a removed one."""
    template = copy.deepcopy(template)
    resources = template["Resources"]
    removed = set(names) & set(resources)
    while True:
        dependent = {name for name, res in resources.items() if name not in removed
                     and (references(res) | set(as_list(res.get("DependsOn", [])))) & removed}
        if not dependent:
            break
        removed |= dependent
    for name in removed:
        del resources[name]
    template["Outputs"] = {k: v for k, v in template.get("Outputs", {}).items() if not references(v) & removed}
    return template


def non_sam_part(template: dict) -> dict:
    """The packaged template without the SAM transform and what depends on it (functions, API,
    their permissions, rules and log groups, and the distribution in front of the API): plain
    CloudFormation, which the local emulator can create. The functions' roles stay."""
    template = copy.deepcopy(template)
    template.pop("Transform", None)
    template.pop("Globals", None)
    serverless = {name for name, res in template["Resources"].items() if res["Type"].startswith("AWS::Serverless::")}
    return without_resources(template, serverless)


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _single(template: dict, resource_type: str, setting: str) -> str | None:
    names = sorted(name for name, res in template["Resources"].items() if res.get("Type") == resource_type)
    if len(names) > 1:
        raise PackagingError(f"several {resource_type} resources ({', '.join(names)}): {setting} would be "
                             f"ambiguous; say in scripts/package_stack.py which one the functions use")
    return names[0] if names else None


def _replace(node, old, new):
    if node == old:
        return copy.deepcopy(new)
    if isinstance(node, dict):
        return {key: _replace(value, old, new) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace(value, old, new) for value in node]
    return node


def wire_api_origin(template: dict) -> dict:
    """Point what the infrastructure template sends to ``Ref ApiOriginDomainName`` (CloudFront's
    /api/* origin) at the REST API chalice generated, and drop the parameter: the infrastructure
    template cannot name ``RestAPI`` itself and still lint on its own."""
    if API_ORIGIN_PARAMETER not in template.get("Parameters", {}):
        return template
    if template["Resources"].get(REST_API, {}).get("Type") != "AWS::Serverless::Api":
        raise PackagingError(f"chalice generated no {REST_API}: nothing for CloudFront's /api/* to reach")
    template = copy.deepcopy(template)
    del template["Parameters"][API_ORIGIN_PARAMETER]
    domain = {"Fn::Sub": "${" + REST_API + "}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    template["Resources"] = _replace(template["Resources"], {"Ref": API_ORIGIN_PARAMETER}, domain)
    return template


def wire(template: dict, settings: dict[str, str]) -> dict:
    """Connect the functions chalice generated to the stack: names, environment, log groups, and
    CloudFront's /api/* origin to the API."""
    template = wire_api_origin(copy.deepcopy(template))
    resources = template["Resources"]
    machine = _single(template, STATE_MACHINE, "IDP_STATE_MACHINE_ARN")
    topic = _single(template, TOPIC, "IDP_ALERTS_TOPIC_ARN")
    retention = int(settings["IDP_LOG_RETENTION_DAYS"])
    functions = sorted(name for name, res in resources.items() if res.get("Type") == FUNCTION)
    if not functions:
        raise PackagingError("chalice generated no function")
    for name in functions:
        props = resources[name]["Properties"]
        # A known name, so the policy can grant logs on /aws/lambda/<prefix>-* and nothing wider.
        props["FunctionName"] = {"Fn::Sub": "${TablePrefix}-" + name}
        variables = props.setdefault("Environment", {}).setdefault("Variables", {})
        variables.pop("IDP_JWT_SECRET", None)
        for setting, parameter in PARAMETER_OF_SETTING.items():
            variables[setting] = {"Ref": parameter}
        if machine:
            variables["IDP_STATE_MACHINE_ARN"] = {"Ref": machine}
        if topic:
            variables["IDP_ALERTS_TOPIC_ARN"] = {"Ref": topic}
        log_group = f"{name}LogGroup"
        if log_group in resources:
            raise PackagingError(f"resource {log_group} already exists")
        resources[log_group] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${" + name + "}"}, "RetentionInDays": retention},
        }
    return template


def chalice_env(settings: dict[str, str]) -> dict[str, str]:
    """The environment ``chalice package`` runs in: no AWS identity at all, a region name only,
    and the stage's settings so that importing the app validates them."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_IDENTITY and not k.startswith("IDP_")}
    env["AWS_DEFAULT_REGION"] = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env.update(settings)
    return env


def chalice_executable() -> str:
    candidate = Path(sys.executable).parent / "chalice"
    return str(candidate) if candidate.exists() else "chalice"


def package(stage: str, outdir: Path | None = None, *, quiet: bool = False) -> Path:
    """Write ``sam.json`` and ``deployment.zip`` for ``stage`` into ``outdir`` (default out/<stage>);
    returns the template's path."""
    settings = stage_settings(stage)
    outdir = Path(outdir) if outdir else OUT / stage
    if outdir.exists():
        # Only ever replace an earlier package, never a directory that holds anything else.
        foreign = sorted(p.name for p in outdir.iterdir() if p.name not in PACKAGE_FILES)
        if foreign:
            raise PackagingError(f"{outdir} holds other files ({', '.join(foreign[:5])}): choose another --out")
        shutil.rmtree(outdir)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="idp-package-") as scratch:
        merge_path = Path(scratch) / "infrastructure.json"
        merge_path.write_text(json.dumps(merge_template(stage, settings), indent=2))
        argv = [chalice_executable(), "package", "--stage", stage, "--merge-template", str(merge_path), str(outdir)]
        result = subprocess.run(argv, cwd=ROOT, env=chalice_env(settings), capture_output=True, text=True,
                                check=False)
    if result.returncode != 0:
        raise PackagingError(f"chalice package failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if not quiet and result.stdout.strip():
        print(result.stdout.strip(), file=sys.stderr)
    sam = outdir / "sam.json"
    template = wire(json.loads(sam.read_text()), settings)
    sam.write_text(json.dumps(template, indent=2) + "\n")
    add_bytecode(outdir / "deployment.zip", runtimes(template))
    copy_portal(outdir / "portal", log=(lambda _: None) if quiet else (lambda line: print(line, file=sys.stderr)))
    return sam


def runtimes(template: dict) -> set[str]:
    return {resource["Properties"]["Runtime"] for resource in template.get("Resources", {}).values()
            if resource.get("Type") == FUNCTION and "Runtime" in resource.get("Properties", {})}


def add_bytecode(bundle: Path, wanted_runtimes: set[str]) -> int:
    """Add the compiled bytecode of every module to the code bundle. ``chalice package`` unpacks
    wheels without ``.pyc`` files and Lambda's ``/var/task`` is read-only, so without them every
    cold start compiles every module it imports. Compiled by this interpreter, which must be the
    functions' runtime (``chalice package`` picks the runtime from it), with unchecked hashes:
    the zip keeps modification times to two seconds only, which timestamp-checked bytecode would
    take for stale. Returns the number of files added."""
    import compileall
    import py_compile
    import zipfile

    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if wanted_runtimes != {here}:
        raise PackagingError(f"the functions run {sorted(wanted_runtimes)}: bytecode compiled by {here} would not load")
    with tempfile.TemporaryDirectory(prefix="idp-bytecode-") as scratch:
        with zipfile.ZipFile(bundle) as source:
            source.extractall(scratch)
        before = set(Path(scratch).rglob("*.pyc"))
        if not compileall.compile_dir(scratch, quiet=2, workers=0, stripdir=scratch, prependdir="/var/task",
                                      invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
            raise PackagingError("a module of the code bundle does not compile")
        added = sorted(set(Path(scratch).rglob("*.pyc")) - before)
        with zipfile.ZipFile(bundle, "a", compression=zipfile.ZIP_DEFLATED) as target:
            for path in added:
                target.write(path, path.relative_to(scratch).as_posix())
    return len(added)


def copy_portal(target: Path, log=print) -> Path:
    """The built portal (npm ci + vite build when portal/ changed) as it is uploaded to the portal
    bucket: portal/dist without the build's own dotfiles (its source stamp)."""
    import portal_build

    try:
        portal_build.ensure_built(log=log)
    except portal_build.PortalBuildError as error:
        raise PackagingError(f"the portal does not build: {error}") from error
    if not (portal_build.DIST / "index.html").is_file():
        raise PackagingError(f"{portal_build.DIST} has no index.html after the build")
    shutil.copytree(portal_build.DIST, target, ignore=shutil.ignore_patterns(".*"))
    return target


def stack_name(stage: str) -> str:
    return f"idp-{stage}"


def deploy_commands(stage: str, folder: str) -> list[str]:
    """The shell commands that deploy the package in ``folder`` (README.md "Deploy to AWS" holds
    the same ones for dev; a test keeps them equal). Always through S3: the template is far over
    CloudFormation's inline limit, and a bucket works for any size."""
    return [
        ARTIFACT_BUCKET,
        'aws s3api head-bucket --bucket "$ARTIFACT_BUCKET" 2>/dev/null || aws s3 mb "s3://$ARTIFACT_BUCKET"',
        f'aws cloudformation package --template-file {folder}/sam.json --s3-bucket "$ARTIFACT_BUCKET" '
        f'--use-json --output-template-file {folder}/packaged.json',
        f'aws cloudformation deploy --template-file {folder}/packaged.json --s3-bucket "$ARTIFACT_BUCKET" '
        f'--stack-name {stack_name(stage)} --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND',
    ]


def stack_output(stage: str, key: str) -> str:
    return (f'$(aws cloudformation describe-stacks --stack-name {stack_name(stage)} '
            f'--query "Stacks[0].Outputs[?OutputKey==\'{key}\'].OutputValue" --output text)')


def portal_commands(stage: str, folder: str) -> list[str]:
    """The shell commands that upload the built portal in ``folder``/portal to the deployed stack
    and make CloudFront serve it (README.md holds the same ones for dev). Hashed assets first and
    immutable, so the new index.html (no-cache) never names a file that is not there yet; the
    previous release's assets are deleted last, after the invalidation."""
    bucket, assets = '"s3://$PORTAL_BUCKET"', '"s3://$PORTAL_BUCKET/assets"'
    return [
        f"PORTAL_BUCKET={stack_output(stage, 'PortalBucketName')}",
        f"PORTAL_DISTRIBUTION={stack_output(stage, 'PortalDistributionId')}",
        f'aws s3 sync {folder}/portal/assets {assets} --cache-control "{IMMUTABLE}"',
        f'aws s3 sync {folder}/portal {bucket} --delete --exclude "assets/*" --cache-control "no-cache"',
        'aws cloudfront create-invalidation --distribution-id "$PORTAL_DISTRIBUTION" --paths "/*"',
        f'aws s3 sync {folder}/portal/assets {assets} --delete --cache-control "{IMMUTABLE}"',
        f"echo {stack_output(stage, 'PortalURL')}",
    ]


def size_report(sam: Path) -> str:
    size = sam.stat().st_size
    verdict = (f"over CloudFormation's {INLINE_TEMPLATE_LIMIT:,}-byte limit for an inline template: it deploys "
               "through S3 (--s3-bucket)" if size > INLINE_TEMPLATE_LIMIT
               else f"under CloudFormation's {INLINE_TEMPLATE_LIMIT:,}-byte inline limit (deployed through S3 anyway)")
    return f"template {sam.name}: {size:,} bytes, {verdict}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Package the platform for a stage (no AWS access needed).")
    parser.add_argument("stage", help=f"one of {', '.join(deployable_stages())}")
    parser.add_argument("--out", type=Path, help="output directory (default out/<stage>)")
    args = parser.parse_args(argv)
    try:
        sam = package(args.stage, args.out)
    except PackagingError as error:
        print(f"package: {error}", file=sys.stderr)
        return 2
    folder = str(sam.parent.relative_to(ROOT) if sam.is_relative_to(ROOT) else sam.parent)
    print(f"packaged stage {args.stage}: {folder}/sam.json, {folder}/deployment.zip and {folder}/portal/")
    print(size_report(sam))
    print("next (README.md 'Deploy to AWS'):")
    for command in deploy_commands(args.stage, folder):
        print(f"  {command}")
    print("then the portal (README.md 'Upload the portal'):")
    for command in portal_commands(args.stage, folder):
        print(f"  {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
