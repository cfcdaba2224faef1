"""Create the platform's AWS resources in an emulator (moto server, LocalStack) from the same
CloudFormation template that deploys to AWS, then the first admin.

    python scripts/provision.py            # uses AWS_ENDPOINT_URL, IDP_TABLE_PREFIX, IDP_ADMIN_*

On LocalStack (recognised by its ``/_localstack/health``, whether ``scripts/dev`` started it or
``AWS_ENDPOINT_URL`` points at a container) its CloudFormation creates the whole template as one
stack, as on AWS: uploaded to S3 first and created from ``TemplateURL`` (the template is over
CloudFormation's 51,200-byte limit for an inline body), nothing left out, nothing created beside it.

On moto, two local-only rules, both here:

- moto's CloudFormation ignores ``DefinitionSubstitutions`` and puts state machines where
  executions cannot find them, so the state machine resource of the template is created through
  the Step Functions API instead, with the substitutions filled in from the stack's outputs;
- resource types only AWS runs (``AWS_ONLY_TYPES``: CloudFront, CloudWatch alarms) are left out
  of the local stack, with whatever refers to them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import uuid
from pathlib import Path

from package_stack import references, without_resources

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infrastructure" / "template.json"
STATE_MACHINES = ROOT / "state_machines"


def load_template() -> dict:
    return json.loads(TEMPLATE.read_text())


# Resource types only AWS runs. moto does not emulate them (CloudFront at all; CloudWatch alarms
# watch AWS's own metrics, and moto's CloudFormation skips them half-way, which breaks
# DescribeStackResources), so a local stack leaves them out together with whatever refers to them
# (the portal bucket's policy names the distribution). The one rule for local stacks; nothing in
# the application code knows about it.
AWS_ONLY_TYPES = frozenset({
    "AWS::CloudWatch::Alarm",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
})


def local_stack_template(template: dict) -> dict:
    """``template`` as a local emulator creates it: without the AWS-only resources (AWS_ONLY_TYPES)
    and what refers to them."""
    aws_only = {name for name, res in template["Resources"].items() if res["Type"] in AWS_ONLY_TYPES}
    return without_resources(template, aws_only)


def split_template(template: dict) -> tuple[dict, dict]:
    """The template for the emulator's CloudFormation, and the state machine resources held back
    to be created through the Step Functions API."""
    stack_template = local_stack_template(template)
    machines = {name: res for name, res in stack_template["Resources"].items()
                if res["Type"] == "AWS::StepFunctions::StateMachine"}
    for name in machines:
        del stack_template["Resources"][name]
    stack_template["Outputs"] = {k: v for k, v in stack_template.get("Outputs", {}).items()
                                 if not references(v) & set(machines)}
    return stack_template, machines


def create_stack(cloudformation, stack_name: str, template: dict | None, parameters: dict[str, str],
                 timeout: float = 120, template_url: str | None = None) -> dict[str, str]:
    """Create (or reuse) the stack, from ``template`` or from the one at ``template_url``, and
    return its outputs. With ``template_url`` an existing stack is updated to it."""
    existing = _describe(cloudformation, stack_name)
    source = {"TemplateURL": template_url} if template_url else {"TemplateBody": json.dumps(template)}
    arguments = dict(StackName=stack_name, **source, Capabilities=["CAPABILITY_NAMED_IAM", "CAPABILITY_IAM"],
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    if existing is None or existing["StackStatus"] in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
        if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
            cloudformation.delete_stack(StackName=stack_name)
            _wait_deleted(cloudformation, stack_name, timeout)
        cloudformation.create_stack(**arguments)
    elif template_url:
        try:
            cloudformation.update_stack(**arguments)
        except cloudformation.exceptions.ClientError as error:
            if "No updates are to be performed" not in str(error):
                raise
    deadline = time.monotonic() + timeout
    while True:
        stack = _describe(cloudformation, stack_name)
        status = stack["StackStatus"] if stack else "MISSING"
        if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if status.endswith("FAILED") or status.startswith("ROLLBACK") or status == "MISSING":
            events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
            reasons = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}" for e in events
                       if "FAILED" in e["ResourceStatus"]]
            raise RuntimeError(f"stack {stack_name} is {status}: {reasons}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"stack {stack_name} still {status} after {timeout}s")
        time.sleep(0.2)


def _wait_deleted(cloudformation, stack_name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (stack := _describe(cloudformation, stack_name)) is not None and stack["StackStatus"] != "DELETE_COMPLETE":
        if time.monotonic() > deadline:
            raise TimeoutError(f"stack {stack_name} still {stack['StackStatus']} after {timeout}s")
        time.sleep(0.2)


def _describe(cloudformation, stack_name: str):
    try:
        return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def substitute(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for ${{{name}}} in the state machine definition")
        return values[name]

    return re.sub(r"\$\{([A-Za-z0-9_.]+)\}", replace, text)


def resolve(node, outputs: dict[str, str], parameters: dict[str, str], resources: dict[str, str]):
    """Resolve the few intrinsic functions a state machine resource uses (Ref, Fn::GetAtt on an
    Arn, Fn::Sub) against the created stack."""
    if isinstance(node, dict):
        if "Ref" in node:
            name = node["Ref"]
            if name in parameters:
                return parameters[name]
            return resources[name]
        if "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            name, attribute = target if isinstance(target, list) else target.split(".", 1)
            return resources.get(f"{name}.{attribute}", resources[name])
        if "Fn::Sub" in node:
            value = node["Fn::Sub"]
            text, local = (value, {}) if isinstance(value, str) else (value[0], value[1])
            local = {k: resolve(v, outputs, parameters, resources) for k, v in local.items()}
            return substitute(text, {**parameters, **resources, **local, **{"AWS::Region": "us-east-1",
                                                                             "AWS::AccountId": "123456789012",
                                                                             "AWS::Partition": "aws"}})
        return {k: resolve(v, outputs, parameters, resources) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, outputs, parameters, resources) for v in node]
    return node


def create_state_machines(stepfunctions, cloudformation, stack_name: str, machines: dict,
                          parameters: dict[str, str], outputs: dict[str, str], iam=None) -> dict[str, str]:
    """Create each held-back state machine through the Step Functions API; returns logical id → ARN."""
    stack_resources = [r for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
                       if "LogicalResourceId" in r]  # moto lists a resource whose Condition is false without one
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in stack_resources}
    for r in stack_resources:  # a role's physical id is its name; the state machine wants its ARN
        if r["ResourceType"] == "AWS::IAM::Role" and iam is not None:
            resources[f"{r['LogicalResourceId']}.Arn"] = iam.get_role(RoleName=r["PhysicalResourceId"])["Role"]["Arn"]
    arns = {}
    for logical_id, resource in machines.items():
        props = resource["Properties"]
        name = resolve(props["StateMachineName"], outputs, parameters, resources)
        role_arn = resolve(props["RoleArn"], outputs, parameters, resources)
        substitutions = {k: resolve(v, outputs, parameters, resources)
                         for k, v in props.get("DefinitionSubstitutions", {}).items()}
        definition = substitute(resolve(props["DefinitionString"], outputs, parameters, resources), substitutions)
        existing = {m["name"]: m["stateMachineArn"] for m in stepfunctions.list_state_machines()["stateMachines"]}
        if name in existing:
            stepfunctions.update_state_machine(stateMachineArn=existing[name], definition=definition, roleArn=role_arn)
            arns[logical_id] = existing[name]
        else:
            arns[logical_id] = stepfunctions.create_state_machine(
                name=name, definition=definition, roleArn=role_arn, type="STANDARD")["stateMachineArn"]
    return arns


def is_localstack(endpoint: str | None) -> bool:
    """Whether LocalStack answers at ``endpoint`` (its health document lists its services)."""
    import urllib.error
    import urllib.request

    if not endpoint:
        return False
    try:
        with urllib.request.urlopen(f"{endpoint.rstrip('/')}/_localstack/health", timeout=5) as response:  # noqa: S310
            return "services" in json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return False


def upload_template(s3, bucket: str, template: dict, endpoint: str) -> str:
    """Put the template in ``bucket`` (made when missing) and return its ``TemplateURL``."""
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    body = json.dumps(template, separators=(",", ":")).encode()
    key = f"template-{hashlib.sha256(body).hexdigest()[:16]}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"{endpoint.rstrip('/')}/{bucket}/{key}"


def local_parameters(table_prefix: str) -> dict[str, str]:
    """The template's parameters for a local stack: its table prefix, and tables that may be deleted."""
    return {"TablePrefix": table_prefix, "DeletionProtection": "false"}


def provision_whole_stack(*, table_prefix: str, stack_name: str, session, endpoint: str) -> dict[str, str]:
    """LocalStack: its CloudFormation creates every resource of the template, through S3."""
    region = session.region_name or "us-east-1"
    url = upload_template(session.client("s3", region_name=region), f"{table_prefix}-cloudformation",
                          load_template(), endpoint)
    return create_stack(session.client("cloudformation", region_name=region), stack_name, None,
                        local_parameters(table_prefix), template_url=url)


def provision(*, table_prefix: str, stack_name: str | None = None, session=None) -> dict[str, str]:
    """Create every resource; returns the stack outputs plus ``<Logical>Arn`` for state machines."""
    import boto3

    session = session or boto3.session.Session()
    stack_name = stack_name or f"{table_prefix}-stack"
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if is_localstack(endpoint):
        return provision_whole_stack(table_prefix=table_prefix, stack_name=stack_name, session=session,
                                     endpoint=endpoint)
    region = session.region_name or "us-east-1"
    cloudformation = session.client("cloudformation", region_name=region)
    stepfunctions = session.client("stepfunctions", region_name=region)
    iam = session.client("iam", region_name=region)
    stack_template, machines = split_template(load_template())
    parameters = local_parameters(table_prefix)
    outputs = create_stack(cloudformation, stack_name, stack_template, parameters)
    for logical_id, arn in create_state_machines(stepfunctions, cloudformation, stack_name, machines,
                                                 parameters, outputs, iam).items():
        outputs[f"{logical_id}Arn"] = arn
    return outputs


def wait_for_endpoint(endpoint: str, timeout: float = 30) -> bool:
    """Whether something accepts connections at ``endpoint`` within ``timeout``: an emulator
    started in the background a moment ago (``scripts/emulator ... &``) may not listen yet."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((parts.hostname, port), timeout=1):
                return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)


class CannotExecute(RuntimeError):
    """The emulator creates state machines but runs no executions."""


def check_executions_run(session=None, timeout: float = 5) -> None:
    """Run a one-state machine and wait for its result: a moto server started without Step
    Functions execution (``moto_server``, or moto's own ``ThreadedMotoServer``) accepts
    StartExecution and leaves it RUNNING forever, so every deployment would stay PENDING.
    moto's ``/moto-api/config`` does not report the setting, hence the probe; LocalStack and AWS
    pass it."""
    import boto3

    session = session or boto3.session.Session()
    region = session.region_name or "us-east-1"
    stepfunctions = session.client("stepfunctions", region_name=region)
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    nonce = uuid.uuid4().hex
    machine = stepfunctions.create_state_machine(
        name=f"idp-probe-{nonce}", roleArn=f"arn:aws:iam::{account}:role/idp-probe", type="STANDARD",
        definition=json.dumps({"StartAt": "Probe", "States": {"Probe": {"Type": "Pass", "Result": nonce, "End": True}}}),
    )["stateMachineArn"]
    try:
        execution = stepfunctions.start_execution(stateMachineArn=machine)["executionArn"]
        deadline = time.monotonic() + timeout
        while True:
            described = stepfunctions.describe_execution(executionArn=execution)
            if described["status"] == "SUCCEEDED" and nonce in (described.get("output") or ""):
                return
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        stepfunctions.delete_state_machine(stateMachineArn=machine)
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "AWS")
    raise CannotExecute(
        f"the emulator at {endpoint} runs no Step Functions executions (a test execution is still "
        f"{described['status']} after {timeout:g}s), so every deployment would stay PENDING. A moto server must "
        "switch execution on before any state machine exists: stop it and start scripts/emulator instead "
        "(it does), or unset AWS_ENDPOINT_URL and let scripts/dev start its own.")


LOCAL_DEFAULT_PASSWORD = "admin-password-change-me"  # documented in README.md; local stacks only


def first_admin() -> dict:
    """Create the first admin from IDP_ADMIN_EMAIL / IDP_ADMIN_PASSWORD, idempotently. Returns
    ``message`` (where its password came from) and ``sign_in``: the login body, with the password
    itself only when it is the documented local default (else a placeholder naming its source)."""
    sys.path.insert(0, str(ROOT))
    from chalicelib.core.security import verify_password
    from chalicelib.domain.users import ensure_admin
    from chalicelib.storage import users

    email = os.environ.get("IDP_ADMIN_EMAIL", "admin@example.com")
    password = os.environ.get("IDP_ADMIN_PASSWORD")
    if password:
        source, shown = "IDP_ADMIN_PASSWORD", "<IDP_ADMIN_PASSWORD>"
    else:
        password, shown = LOCAL_DEFAULT_PASSWORD, LOCAL_DEFAULT_PASSWORD
        source = f"the local default {LOCAL_DEFAULT_PASSWORD!r} (set IDP_ADMIN_PASSWORD to choose one)"
    _, created = ensure_admin(email, "Administrator", password)
    if created:
        message = f"first admin {email} created; its password comes from {source}"
    elif verify_password(password, users.get_by_email(email.lower()).password_hash):
        message = f"first admin {email} already exists; its password is still the one from {source}"
    else:  # e.g. a restored stack: the password is whatever that admin was given
        message = (f"first admin {email} already exists with a password set earlier, not the one from {source} "
                   "(an existing user's password is never changed here)")
        shown = "<the password it was given earlier>"
    return {"email": email, "message": message, "sign_in": json.dumps({"email": email, "password": shown})}


def ensure_first_admin() -> str:
    return first_admin()["message"]


if __name__ == "__main__":
    prefix = os.environ.get("IDP_TABLE_PREFIX", "idp-local")
    from botocore.exceptions import EndpointConnectionError

    try:
        check_executions_run()
    except CannotExecute as refusal:
        print(refusal, file=sys.stderr)
        sys.exit(3)
    except EndpointConnectionError:
        print(f"nothing answers at AWS_ENDPOINT_URL={os.environ.get('AWS_ENDPOINT_URL')}: start the emulator "
              "first (scripts/emulator --port <port>), or unset AWS_ENDPOINT_URL", file=sys.stderr)
        sys.exit(3)
    stack_outputs = provision(table_prefix=prefix)
    admin = first_admin()
    print(json.dumps({"outputs": stack_outputs, "admin": admin["message"], "sign_in": admin["sign_in"]}, indent=2))
