"""Try the whole packaged stack of a stage (``out/<stage>/sam.json``: the SAM transform, the
functions, the API, everything of the infrastructure template) on LocalStack's CloudFormation, and
print what each resource became. README.md "LocalStack" keeps the result as a documented limit.

    scripts/package dev                              # builds out/dev/sam.json and deployment.zip
    AWS_ENDPOINT_URL=http://127.0.0.1:4566 scripts/localstack-sam dev

What ``aws cloudformation package`` does first is done here against LocalStack's S3: the code
bundle uploaded, every ``CodeUri`` pointed at it; then the template goes up too and the stack is
created from its ``TemplateURL``. Exit status 0 when the stack reached CREATE_COMPLETE, else 1.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from provision import is_localstack, upload_template

ROOT = Path(__file__).resolve().parent.parent


def code_uris(template: dict, bucket: str, key: str) -> dict:
    """``template`` with each function's local ``CodeUri`` replaced by the uploaded bundle."""
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://{bucket}/{key}"
    return template


def try_stack(stage: str, endpoint: str, timeout: float = 300) -> tuple[str, list[str]]:
    """The stack's final status and one line per resource that did not reach CREATE_COMPLETE."""
    import boto3

    session = boto3.session.Session(aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                                    aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
                                    region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    s3, cloudformation = session.client("s3"), session.client("cloudformation")
    out = ROOT / "out" / stage
    bucket, stack_name = f"idp-{stage}-sam-artifacts", f"idp-{stage}-sam"
    template = json.loads((out / "sam.json").read_text())
    url = upload_template(s3, bucket, code_uris(template, bucket, "deployment.zip"), endpoint)
    s3.upload_file(str(out / "deployment.zip"), bucket, "deployment.zip")
    cloudformation.create_stack(StackName=stack_name, TemplateURL=url,
                                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    deadline = time.monotonic() + timeout
    while (status := cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]).endswith(
            "_IN_PROGRESS") and time.monotonic() < deadline:
        time.sleep(1)
    events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    problems = sorted({f"{e['LogicalResourceId']} ({e.get('ResourceType')}): {e['ResourceStatus']}: "
                       f"{(e.get('ResourceStatusReason') or '').strip()[:400]}"
                       for e in events if "FAILED" in e["ResourceStatus"] and e["LogicalResourceId"] != stack_name})
    return status, problems


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else "dev"
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not is_localstack(endpoint):
        print("localstack_sam: point AWS_ENDPOINT_URL at a running LocalStack (IDP_EMULATOR=localstack scripts/dev "
              "starts one on IDP_EMULATOR_PORT)", file=sys.stderr)
        return 2
    if not (ROOT / "out" / stage / "sam.json").exists():
        print(f"localstack_sam: no out/{stage}/sam.json: run scripts/package {stage} first", file=sys.stderr)
        return 2
    status, problems = try_stack(stage, endpoint)
    print(f"stack idp-{stage}-sam: {status}")
    for line in problems:
        print(f"  {line}")
    return 0 if status == "CREATE_COMPLETE" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
