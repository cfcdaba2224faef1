"""Ship to AWS, proven offline: the packaged stack of every deployable stage lints, its plain
CloudFormation part creates in moto, its Lambda policy covers exactly what the code calls, the
functions are wired to the stack, and the code bundle imports on its own.

The stack is read from what ``scripts/package`` produces (and the code as it is at test time), so
these checks keep applying as tables, state machines, topics and calls are added."""
from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import botocore.session
import package_stack
import provision
import pytest

from tests import aws_usage
from tests.aws_usage import PSEUDO, action_granted, grants, resolve, resource_granted

ROOT = Path(__file__).resolve().parents[2]
STAGES = package_stack.deployable_stages()
CONFIG = package_stack.load_config()
ACCOUNT_ARN = "arn:aws:{service}:us-east-1:123456789012:"

FUNCTION, STATE_MACHINE, TOPIC = package_stack.FUNCTION, package_stack.STATE_MACHINE, package_stack.TOPIC
TABLE, ROLE = "AWS::DynamoDB::Table", "AWS::IAM::Role"

# Granted without a call in chalicelib: the Lambda runtime writes the function's logs.
RUNTIME_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Actions the policy grants ahead of the code that calls them (none: every granted action is used).
PLANNED_ACTIONS: dict[str, str] = {}
# What a Step Functions role may hold besides DynamoDB item actions on the project's tables:
# log delivery and X-Ray, which AWS only grants on "*".
STATE_MACHINE_ITEM_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                              "dynamodb:ConditionCheckItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"}
STATE_MACHINE_PLUMBING = {"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                          "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                          "logs:DescribeResourcePolicies", "logs:DescribeLogGroups", "xray:PutTraceSegments",
                          "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"}


NETWORK_GUARD = '''
import os, socket

def _refuse(*args, **kwargs):
    with open(os.environ["IDP_NETWORK_GUARD_LOG"], "a") as log:
        log.write(repr(args[:3]) + "\\n")
    raise OSError("network access refused by the test")

_connect = socket.socket.connect
def _connect_local_only(self, address):
    if self.family == getattr(socket, "AF_UNIX", None):
        return _connect(self, address)
    _refuse(address)

socket.socket.connect = _connect_local_only
socket.socket.connect_ex = _connect_local_only
socket.getaddrinfo = _refuse
socket.create_connection = _refuse
'''


def _package_offline(stage: str, out: Path, scratch: Path) -> tuple[subprocess.CompletedProcess, str]:
    """scripts/package's Python core as someone without AWS access runs it: no AWS variable, a
    fresh HOME (no ~/.aws), and every network connection refused in every Python process it
    starts (a sitecustomize that logs and refuses the attempt). Returns the run and the attempts."""
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "sitecustomize.py").write_text(NETWORK_GUARD)
    attempts = scratch / "network-attempts.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDP_"))}
    env.update({"PYTHONPATH": str(scratch), "IDP_NETWORK_GUARD_LOG": str(attempts), "HOME": str(scratch)})
    result = subprocess.run([sys.executable, "scripts/package_stack.py", stage, "--out", str(out)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300, check=False)
    return result, attempts.read_text() if attempts.exists() else ""


OFFLINE_RUNS: dict[str, tuple[subprocess.CompletedProcess, str]] = {}


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> dict[str, Path]:
    """Every deployable stage packaged once for the session. The last one in-process, normally:
    it may fetch the bundle's wheels from PyPI into .chalice/deployments/ (once per
    requirements.txt, like any pip install). Every other one offline (see _package_offline)."""
    out = tmp_path_factory.mktemp("package")
    paths = {STAGES[-1]: package_stack.package(STAGES[-1], out / STAGES[-1], quiet=True)}
    for stage in STAGES[:-1] or STAGES:
        result, attempts = OFFLINE_RUNS[stage] = _package_offline(stage, out / f"{stage}-offline", out / f"{stage}-env")
        assert result.returncode == 0, result.stdout + result.stderr
        paths.setdefault(stage, out / f"{stage}-offline" / "sam.json")
    return paths


def _template(packaged, stage) -> dict:
    return json.loads(packaged[stage].read_text())


def _of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == resource_type}


def _arn(service: str, rest: str) -> str:
    return ACCOUNT_ARN.format(service=service) + rest


def stack_values(template: dict) -> dict[str, str]:
    """What Ref / GetAtt / ${...} resolve to in a pretend account: parameter defaults, pseudo
    parameters, resource names and ARNs."""
    values = dict(PSEUDO)
    values.update({name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p})
    for _ in range(2):  # a name may be built from another resource's name
        for logical, res in template["Resources"].items():
            props = res.get("Properties", {})
            kind = res["Type"]
            if kind == TABLE and "TableName" in props:
                name = resolve(props["TableName"], values)
                values.update({logical: name, f"{logical}.Arn": _arn("dynamodb", f"table/{name}")})
            elif kind == STATE_MACHINE and "StateMachineName" in props:
                name = resolve(props["StateMachineName"], values)
                arn = _arn("states", f"stateMachine:{name}")
                values.update({logical: arn, f"{logical}.Arn": arn, f"{logical}.Name": name})
            elif kind == TOPIC and "TopicName" in props:
                name = resolve(props["TopicName"], values)
                arn = _arn("sns", name)
                values.update({logical: arn, f"{logical}.TopicArn": arn, f"{logical}.TopicName": name})
            elif kind == FUNCTION and "FunctionName" in props:
                name = resolve(props["FunctionName"], values)
                values.update({logical: name, f"{logical}.Arn": _arn("lambda", f"function:{name}")})
            elif kind == ROLE:
                values.update({logical: logical, f"{logical}.Arn": f"arn:aws:iam::123456789012:role/{logical}"})
    return values


def _function_policies(template: dict) -> dict[str, dict]:
    """Function → the one inline policy document of its role."""
    policies = {}
    for name, function in _of_type(template, FUNCTION).items():
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        role_props = template["Resources"][role]["Properties"]
        assert not role_props.get("ManagedPolicyArns"), f"{role} carries managed policies"
        documents = [p["PolicyDocument"] for p in role_props.get("Policies", [])]
        assert len(documents) == 1, f"{role} should carry exactly the policy of .chalice/"
        policies[name] = documents[0]
    return policies


# --- the package ----------------------------------------------------------------------------------



def test_scripts_package_needs_no_aws_credentials_and_no_network(packaged):
    assert OFFLINE_RUNS, "no stage was packaged offline"
    for stage, (result, attempts) in OFFLINE_RUNS.items():
        assert result.returncode == 0, result.stdout + result.stderr
        assert not attempts, f"packaging {stage} tried the network: {attempts}"
        assert f"packaged stage {stage}" in result.stdout
        bundle = zipfile.ZipFile(packaged[stage].parent / "deployment.zip")
        assert bundle.getinfo("app.py") and bundle.getinfo("chalicelib/__init__.py")
        assert _of_type(_template(packaged, stage), FUNCTION)


def json_nulls(node, path: str = "") -> list[str]:
    """Where a JSON document holds a null (CloudFormation refuses a template with any)."""
    if node is None:
        return [path or "/"]
    if isinstance(node, dict):
        return [found for key, value in node.items() for found in json_nulls(value, f"{path}/{key}")]
    if isinstance(node, list):
        return [found for index, value in enumerate(node) for found in json_nulls(value, f"{path}/{index}")]
    return []


def test_json_nulls_are_found_wherever_they_are():
    assert json_nulls({"a": [1, {"b": None}], "c": "null", "d": None}) == ["/a/1/b", "/d"]
    assert json_nulls({"Resources": {}}) == []


def test_no_template_holds_a_json_null(packaged):
    """AWS refuses "'null' values are not allowed in templates"; moto and cfn-lint let them through."""
    documents = {"infrastructure/template.json": ROOT / "infrastructure" / "template.json",
                 **{f"{stage}: {path.name}": path for stage, path in packaged.items()}}
    assert len(documents) == 1 + len(STAGES)
    for name, path in documents.items():
        nulls = json_nulls(json.loads(path.read_text()))
        assert not nulls, f"{name} holds JSON null at {nulls[:10]}"


def _readme_section(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(heading + "\n")
    level = heading.split(" ")[0]
    following = re.search(rf"^#{{1,{len(level)}}} ", text[start + len(heading):], re.MULTILINE)
    return text[start: start + len(heading) + following.start()] if following else text[start:]


def _one_line_each(shell: str) -> str:
    """Shell text with backslash-continued lines joined."""
    return re.sub(r" *\\\n\s*", " ", shell)


def _bash_blocks(section: str) -> list[list[str]]:
    return [[line.strip() for line in _one_line_each(block).splitlines() if line.strip()]
            for block in re.findall(r"```bash\n(.*?)```", section, re.DOTALL)]


def test_the_readme_deploys_through_s3_whenever_the_template_is_over_the_limit(packaged):
    deploy = _readme_section("## Deploy to AWS")
    commands = _bash_blocks(_readme_section("### 3. Deploy"))[0]
    assert commands == package_stack.deploy_commands("dev", "out/dev"), "README.md and scripts/package differ"
    deploys = re.findall(r"(?:aws cloudformation deploy|sam deploy)[^`\n]*", _one_line_each(deploy))
    assert len(deploys) >= 2, deploys
    sizes = {stage: path.stat().st_size for stage, path in packaged.items()}
    for stage, size in sizes.items():
        if size > package_stack.INLINE_TEMPLATE_LIMIT:
            unsafe = [command for command in deploys if "--s3-bucket" not in command]
            assert not unsafe, f"{stage}'s template is {size} bytes: these would be refused by CloudFormation: {unsafe}"
    # The bucket the deploy names is one the commands before it create when it is missing.
    bucket_line, create_line = commands[:2]
    assert bucket_line.startswith("ARTIFACT_BUCKET=") and "aws s3 mb \"s3://$ARTIFACT_BUCKET\"" in create_line
    assert all('--s3-bucket "$ARTIFACT_BUCKET"' in c for c in commands if c.startswith("aws cloudformation "))


def test_scripts_package_prints_the_size_and_the_readme_commands(packaged):
    assert OFFLINE_RUNS
    for stage, (result, _) in OFFLINE_RUNS.items():
        sam = packaged[stage]
        lines = [line.strip() for line in result.stdout.splitlines()]
        assert f"template sam.json: {sam.stat().st_size:,} bytes, over CloudFormation's 51,200-byte limit " \
               "for an inline template: it deploys through S3 (--s3-bucket)" in lines, result.stdout
        printed = lines[lines.index("next (README.md 'Deploy to AWS'):") + 1:]
        assert printed[:4] == package_stack.deploy_commands(stage, str(sam.parent))
        portal = lines[lines.index("then the portal (README.md 'Upload the portal'):") + 1:]
        assert portal == package_stack.portal_commands(stage, str(sam.parent))


@pytest.mark.parametrize("stage", STAGES)
def test_the_package_holds_the_built_portal_and_the_readme_uploads_it(packaged, stage):
    import portal_build

    portal = packaged[stage].parent / "portal"
    built = sorted(p.relative_to(portal_build.DIST) for p in portal_build.DIST.rglob("*")
                   if p.is_file() and not p.name.startswith("."))
    assert sorted(p.relative_to(portal) for p in portal.rglob("*") if p.is_file()) == built
    assert (portal / "index.html").read_text() == (portal_build.DIST / "index.html").read_text()
    commands = _bash_blocks(_readme_section("### 4. Upload the portal"))[0]
    assert commands == package_stack.portal_commands("dev", "out/dev"), "README.md and scripts/package differ"


def test_the_size_report_says_which_side_of_the_limit(tmp_path):
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_text("{}")
    large.write_text(" " * (package_stack.INLINE_TEMPLATE_LIMIT + 1))
    assert "2 bytes, under" in package_stack.size_report(small)
    assert "51,201 bytes, over" in package_stack.size_report(large)


def test_an_unknown_or_local_stage_is_refused():
    for stage in ("local", "staging"):
        with pytest.raises(package_stack.PackagingError, match="deployable stages"):
            package_stack.stage_settings(stage)


def test_cfn_lint_finds_no_error_and_no_warning(packaged):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    files = [str(p) for p in packaged.values()]  # infrastructure/template.json is inside each
    result = subprocess.run([str(cfn_lint), "--format", "json", *files], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0 and json.loads(result.stdout or "[]") == [], result.stdout[-3000:] + result.stderr


def test_the_bundle_imports_on_its_own_with_the_runtime_python(packaged, tmp_path):
    template = _template(packaged, "dev")
    handler = _of_type(template, FUNCTION)["APIHandler"]["Properties"]
    assert handler["Runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}"
    with zipfile.ZipFile(packaged["dev"].parent / "deployment.zip") as bundle:
        names = bundle.namelist()
        assert not [n for n in names if n.startswith(("moto/", "pytest/", "chalice/cli/", "pip/"))], \
            "dev-only packages in the Lambda bundle"
        assert "botocore/data/dynamodb/2012-08-10/service-2.json.gz" in names
        # botocore's service models (most of the bundle) are read when a client is made, not on import.
        bundle.extractall(tmp_path / "task", [n for n in names if not n.startswith("botocore/data/")])
    env = {k: str(v) for k, v in resolve(handler["Environment"]["Variables"], stack_values(template)).items()}
    env.update({"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1"})
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import app, chalice; "
             "print(chalice.__file__); print(sorted(app.app.routes))")
    # -I -S: no site-packages, no user site, no PYTHON* variables: only the standard library and the bundle.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", probe, str(tmp_path / "task")], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    chalice_file, routes = result.stdout.splitlines()[-2:]
    assert chalice_file.startswith(str(tmp_path / "task"))
    import app as app_module

    assert routes == str(sorted(app_module.app.routes))


# --- the stack ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dev_stack(packaged):
    """The packaged dev template less its SAM part, created as a stack in moto (in-process), with
    the stage's own table prefix: the same create_stack path scripts/dev uses."""
    template = provision.local_stack_template(package_stack.non_sam_part(_template(packaged, "dev")))
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    outputs = provision.create_stack(cloudformation, "idp-dev-ship-check", template, {"DeletionProtection": "false"})
    return template, outputs


def test_the_plain_cloudformation_part_creates_in_moto(packaged, dev_stack):
    template, outputs = dev_stack
    infrastructure = json.loads((ROOT / "infrastructure" / "template.json").read_text())
    # Everything of infrastructure/ but what only AWS runs (provision.AWS_ONLY_TYPES, and what refers to it).
    local = provision.local_stack_template(infrastructure)["Resources"]
    assert {infrastructure["Resources"][n]["Type"] for n in set(infrastructure["Resources"]) - set(local)} <= \
        provision.AWS_ONLY_TYPES | {"AWS::S3::BucketPolicy"}
    for name, res in local.items():
        assert template["Resources"].get(name) == res, f"{name} differs from infrastructure/template.json"
    assert "Transform" not in template
    assert not [n for n, r in template["Resources"].items() if r["Type"].startswith("AWS::Serverless::")]
    assert _of_type(template, ROLE), "the functions' roles are plain CloudFormation and belong in the check"
    status = boto3.client("cloudformation", region_name="us-east-1").describe_stacks(
        StackName="idp-dev-ship-check")["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    prefix = CONFIG["stages"]["dev"]["environment_variables"]["IDP_TABLE_PREFIX"]
    tables = [v for k, v in outputs.items() if k.endswith("TableName")]
    assert len(tables) == len(_of_type(template, TABLE))
    for table in tables:
        assert table.startswith(f"{prefix}-")
        assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


@pytest.mark.e2e
def test_create_admin_makes_the_first_admin_in_the_stage_tables(dev_stack):
    """scripts/create-admin's core against the dev stack (a moto server in front of the same moto
    state): the admin lands in the stage's own tables."""
    from devstack import free_port
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
        env.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "IDP_BCRYPT_ROUNDS": "4",
                    "IDP_ADMIN_EMAIL": "First.Admin@example.com", "IDP_ADMIN_PASSWORD": "a-long-admin-password"})
        command = [sys.executable, "scripts/create_admin.py", "dev"]
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.stop()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "created" in run.stdout and "idp-dev-*" in run.stdout, run.stdout
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    prefix = CONFIG["stages"]["dev"]["environment_variables"]["IDP_TABLE_PREFIX"]
    items = dynamodb.query(TableName=f"{prefix}-users", IndexName="by_list", KeyConditionExpression="list_pk = :p",
                           ExpressionAttributeValues={":p": {"S": "user"}})["Items"]
    assert [(i["email"]["S"], i["role"]["S"]) for i in items] == [("first.admin@example.com", "admin")]


def test_create_admin_insists_on_a_real_password_and_the_stage_names_the_tables():
    import create_admin

    good = {"IDP_ADMIN_EMAIL": "a@example.com", "IDP_ADMIN_PASSWORD": "p" * 12, "AWS_REGION": "eu-west-1"}
    env = create_admin.admin_environment("prod", good)
    assert (env["IDP_TABLE_PREFIX"], env["AWS_REGION"], env["IDP_STAGE"]) == ("idp-prod", "eu-west-1", "prod")
    assert create_admin.admin_environment("prod", {**good, "IDP_TABLE_PREFIX": "acme-idp"})["IDP_TABLE_PREFIX"] == "acme-idp"
    assert create_admin.admin_environment("dev", {**good, "AWS_REGION": ""}, "us-west-2")["AWS_REGION"] == "us-west-2"
    for broken in ({"IDP_ADMIN_PASSWORD": ""}, {"IDP_ADMIN_PASSWORD": "short"}, {"IDP_ADMIN_EMAIL": ""},
                   {"AWS_REGION": ""}):
        with pytest.raises(create_admin.AdminError):
            create_admin.admin_environment("dev", {**good, **broken})
    assert create_admin.main(["local"]) == 2


@pytest.mark.parametrize("stage", STAGES)
def test_functions_are_wired_to_the_stack(packaged, stage):
    from chalicelib.core.settings import load_settings

    template = _template(packaged, stage)
    settings = package_stack.stage_settings(stage)
    values = stack_values(template)
    machines, topics = sorted(_of_type(template, STATE_MACHINE)), sorted(_of_type(template, TOPIC))
    assert template["Parameters"]["TablePrefix"]["Default"] == settings["IDP_TABLE_PREFIX"]
    assert template["Parameters"]["JwtSecretParameterName"]["Default"] == settings["IDP_JWT_SECRET_PARAMETER"]
    functions = _of_type(template, FUNCTION)
    assert "APIHandler" in functions
    log_groups = _of_type(template, "AWS::Logs::LogGroup")
    for name, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["IDP_TABLE_PREFIX"] == {"Ref": "TablePrefix"}
        assert variables["IDP_JWT_SECRET_PARAMETER"] == {"Ref": "JwtSecretParameterName"}
        assert "IDP_JWT_SECRET" not in variables
        assert variables.get("IDP_STATE_MACHINE_ARN") == ({"Ref": machines[0]} if machines else None)
        assert variables.get("IDP_ALERTS_TOPIC_ARN") == ({"Ref": topics[0]} if topics else None)
        for setting in ("IDP_STAGE", "IDP_LOG_LEVEL", "IDP_LOG_RETENTION_DAYS"):
            assert variables[setting] == settings[setting]
        function_name = values[name]
        assert function_name.startswith(settings["IDP_TABLE_PREFIX"] + "-") and len(function_name) <= 64
        groups = [g for g in log_groups.values() if g["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{name}}}"}]
        assert len(groups) == 1, f"{name} has no log group of its own"
        assert groups[0]["Properties"]["RetentionInDays"] == int(settings["IDP_LOG_RETENTION_DAYS"])
        # What the function will see on AWS is a valid configuration for the app.
        loaded = load_settings({k: str(v) for k, v in resolve(variables, values).items()})
        assert (loaded.stage, loaded.table_prefix, loaded.jwt_secret, loaded.jwt_secret_parameter) == (
            stage, settings["IDP_TABLE_PREFIX"], None, settings["IDP_JWT_SECRET_PARAMETER"])


@pytest.mark.parametrize("stage", STAGES)
def test_cloudfront_sends_api_calls_to_the_stages_rest_api(packaged, stage):
    template = _template(packaged, stage)
    assert package_stack.API_ORIGIN_PARAMETER not in template["Parameters"]
    assert package_stack.API_ORIGIN_PARAMETER not in package_stack.references(template["Resources"])
    rest_api = template["Resources"][package_stack.REST_API]
    assert rest_api["Type"] == "AWS::Serverless::Api" and rest_api["Properties"]["StageName"] == "api"
    [distribution] = _of_type(template, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    [behaviour] = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    [origin] = [o for o in config["Origins"] if o["Id"] == behaviour["TargetOriginId"]]
    assert origin["DomainName"] == {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    # The same host as the stack's own EndpointURL output, whose path is the stage: /api/.
    assert template["Outputs"]["EndpointURL"]["Value"]["Fn::Sub"] == \
        "https://" + origin["DomainName"]["Fn::Sub"] + "/api/"


def test_stages_differ_only_by_configuration():
    stages = CONFIG["stages"]
    assert {"local", "dev", "prod"} <= set(stages)
    assert not stages["local"].get("environment_variables"), "scripts/dev passes the local settings itself"
    assert not CONFIG.get("environment_variables"), "top-level variables would leak into the local stage"
    deployable = [stages[s] for s in STAGES]
    assert len({frozenset(s) for s in deployable}) == 1, "every deployable stage sets the same options"
    assert len({frozenset(s["environment_variables"]) for s in deployable}) == 1, "and the same settings"
    for setting in ("IDP_TABLE_PREFIX", "IDP_JWT_SECRET_PARAMETER"):
        values = [s["environment_variables"][setting] for s in deployable]
        assert len(set(values)) == len(values), f"two stages share {setting}"
    # No stage-specific branch in the code: nothing compares a stage or its name.
    names = set(stages)
    for path in aws_usage.sources():
        import ast

        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                parts = [node.left, *node.comparators]
                assert not any(isinstance(p, ast.Attribute) and p.attr == "stage" for p in parts), \
                    f"{path}:{node.lineno} branches on the stage"
                assert not any(isinstance(p, ast.Constant) and p.value in names for p in parts), \
                    f"{path}:{node.lineno} compares with a stage name"


# --- least privilege ----------------------------------------------------------------------------

@pytest.mark.parametrize("stage", STAGES)
def test_every_function_role_carries_the_stage_policy_file(packaged, stage):
    document = json.loads(package_stack.policy_file(stage).read_text())
    assert CONFIG["stages"][stage]["autogen_policy"] is False
    for name, policy in _function_policies(_template(packaged, stage)).items():
        assert policy == document, f"{name}'s role does not carry {package_stack.policy_file(stage).name}"


@pytest.mark.parametrize("stage", STAGES)
def test_the_policy_grants_every_action_the_code_calls(packaged, stage):
    rows = grants(json.loads(package_stack.policy_file(stage).read_text()), stack_values(_template(packaged, stage)))
    missing = sorted(str(use) for use in aws_usage.code_uses() if not action_granted(use.action, rows))
    assert not missing, (f"the code calls actions that {package_stack.policy_file(stage).relative_to(ROOT)} "
                         f"does not grant (add them, on the project's resources only):\n" + "\n".join(missing))


@pytest.mark.parametrize("stage", STAGES)
def test_the_policy_grants_nothing_the_code_does_not_use(packaged, stage):
    rows = grants(json.loads(package_stack.policy_file(stage).read_text()), stack_values(_template(packaged, stage)))
    assert not [r for r in rows if "*" in r.action or r.action.startswith("NotAction")], "wildcard actions"
    used = {use.action for use in aws_usage.code_uses()}
    unused = sorted({r.action for r in rows} - used - RUNTIME_ACTIONS - set(PLANNED_ACTIONS))
    assert not unused, f"granted but never called by chalicelib/ or app.py: {unused}"


@pytest.mark.parametrize("stage", STAGES)
def test_the_policy_reaches_only_the_stacks_resources_and_all_of_them(packaged, stage):
    template = _template(packaged, stage)
    values = stack_values(template)
    prefix, secret = values["TablePrefix"], values["JwtSecretParameterName"]
    rows = grants(json.loads(package_stack.policy_file(stage).read_text()), values)
    scope = {  # what each service's resources must start with: the stage's own namespace
        "dynamodb": (f"table/{prefix}-",),
        "logs": (f"log-group:/aws/lambda/{prefix}-",),
        "states": (f"stateMachine:{prefix}-", f"execution:{prefix}-"),
        "sns": (f"{prefix}-",),
    }
    for row in rows:
        service = row.action.split(":")[0]
        head = _arn(service, "")
        assert row.resource.startswith(head), f"{row}: not this account and region"
        rest = row.resource[len(head):]
        if service == "ssm":
            assert rest == f"parameter{secret}", f"{row}: only the stage's secret parameter"
        else:
            assert service in scope, f"{row}: no scope rule for {service} in this test; add one"
            assert rest.startswith(scope[service]), f"{row}: outside the {prefix}-* namespace"
    # ...and it covers everything of the stack the code touches.
    for name, table in _of_type(template, TABLE).items():
        arn = values[f"{name}.Arn"]
        assert resource_granted("dynamodb:GetItem", arn, rows), f"table {values[name]} not covered"
        for index in table["Properties"].get("GlobalSecondaryIndexes", []):
            assert resource_granted("dynamodb:Query", f"{arn}/index/{index['IndexName']}", rows)
    for name in _of_type(template, FUNCTION):
        stream = _arn("logs", f"log-group:/aws/lambda/{values[name]}:log-stream:2026/01/01/[$LATEST]0")
        assert resource_granted("logs:PutLogEvents", stream, rows)
    assert resource_granted("ssm:GetParameter", _arn("ssm", f"parameter{secret}"), rows)
    for name, machine in _of_type(template, STATE_MACHINE).items():
        assert "StateMachineName" in machine["Properties"], \
            f"{name} needs a StateMachineName starting with ${{TablePrefix}}- (the policy grants by name)"
        assert resource_granted("states:StartExecution", values[name], rows), f"{name}: name outside {prefix}-*"
        execution = _arn("states", f"execution:{values[f'{name}.Name']}:some-id")
        assert resource_granted("states:StopExecution", execution, rows)
        assert resource_granted("states:DescribeExecution", execution, rows)
    for name, topic in _of_type(template, TOPIC).items():
        assert "TopicName" in topic["Properties"], \
            f"{name} needs a TopicName starting with ${{TablePrefix}}- (the policy grants by name)"
        assert resource_granted("sns:Publish", values[name], rows), f"{name}: name outside {prefix}-*"


def test_the_calls_requests_make_are_granted(api, admin, packaged):
    """The dynamic counterpart of the static reading: every AWS call a few real requests make."""
    from tests.support import count_aws_calls

    rows = grants(json.loads(package_stack.policy_file("dev").read_text()), stack_values(_template(packaged, "dev")))
    session = botocore.session.get_session()
    with count_aws_calls() as calls:
        created = api.post("/users", {"email": "p@example.com", "name": "P", "password": "password-1234",
                                      "role": "viewer"}, token=admin.token)
        api.patch(f"/users/{created.body['id']}", {"name": "Q"}, token=admin.token)
        api.get("/users", token=admin.token)
        api.get("/audit", token=admin.token)
        api.post("/auth/login", {"email": "p@example.com", "password": "wrong-password"})
        api.delete(f"/users/{created.body['id']}", token=admin.token)
        api.get("/health")
    # A transaction is authorised item by item (PutItem, UpdateItem...), checked statically.
    actions = {f"{session.get_service_model(s).signing_name}:{op}" for s, op in calls.calls
               if op not in ("TransactWriteItems", "TransactGetItems")}
    assert actions, "no AWS call seen"
    assert not [a for a in actions if not action_granted(a, rows)]


def test_the_state_machine_role_only_touches_project_tables(packaged):
    template = _template(packaged, "dev")
    values = stack_values(template)
    prefix = values["TablePrefix"]
    roles = {name: res for name, res in _of_type(template, ROLE).items()
             if "states." in json.dumps(resolve(res["Properties"]["AssumeRolePolicyDocument"], values))}
    assert roles, "no Step Functions role in infrastructure/template.json"
    for name, role in roles.items():
        props = role["Properties"]
        assert not props.get("ManagedPolicyArns"), f"{name}: managed policies grant more than item actions"
        documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
        documents += [res["Properties"]["PolicyDocument"] for res in template["Resources"].values()
                      if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
                      and {"Ref": name} in res["Properties"].get("Roles", [])]
        for row in (r for document in documents for r in grants(document, values)):
            if row.action in STATE_MACHINE_PLUMBING:
                continue
            assert row.action in STATE_MACHINE_ITEM_ACTIONS, f"{name}: {row.action} is not a DynamoDB item action"
            assert row.resource.startswith(_arn("dynamodb", f"table/{prefix}-")) and "${" not in row.resource, \
                f"{name}: {row.action} on {row.resource}, not a project table"


def test_the_state_machine_definition_is_the_one_in_state_machines(packaged):
    template = _template(packaged, "dev")
    machines = _of_type(template, STATE_MACHINE)
    assert machines, "no AWS::StepFunctions::StateMachine in infrastructure/template.json"
    infrastructure = json.loads((ROOT / "infrastructure" / "template.json").read_text())
    files = {path: path.read_text() for path in sorted((ROOT / "state_machines").glob("*.json"))}
    assert files, "a state machine in the template but no definition in state_machines/"
    values = stack_values(template)
    for name, machine in machines.items():
        assert machine == infrastructure["Resources"][name], "packaging changed the state machine"
        props = machine["Properties"]
        substitutions = {k: str(resolve(v, values)) for k, v in props.get("DefinitionSubstitutions", {}).items()}
        definition = props.get("DefinitionString")
        assert definition is not None, f"{name}: the packaged template must carry the definition (not a file location)"
        local = {}
        if isinstance(definition, dict):
            sub = definition["Fn::Sub"]
            definition, local = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
            local = {k: str(resolve(v, values)) for k, v in local.items()}
            substitutions = {**values, **local, **substitutions}
        matches = [path for path, text in files.items() if text == definition]
        if not matches:
            closest = max(files, key=lambda p: difflib.SequenceMatcher(None, files[p], definition).ratio())
            diff = "\n".join(difflib.unified_diff(files[closest].splitlines(), definition.splitlines(),
                                                  str(closest.relative_to(ROOT)), f"{name} in sam.json", lineterm=""))
            pytest.fail(f"{name}'s definition is not byte for byte a file of state_machines/:\n{diff[:4000]}")
        placeholders = set(re.findall(r"\$\{([^}!]+)\}", definition))
        unresolved = sorted(p for p in placeholders if p not in substitutions)
        assert not unresolved, f"{name}: nothing substitutes {unresolved}"
        resolved = re.sub(r"\$\{([^}!]+)\}", lambda m: substitutions[m.group(1)], definition)
        assert json.loads(resolved)["States"], f"{name}: the substituted definition is not a state machine"
