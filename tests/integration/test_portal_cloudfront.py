"""The portal ships to AWS behind CloudFront (infrastructure/template.json): a private bucket read
only through origin access control, the index.html fallback, /api/* to the API uncached with the
viewer's headers, a strict CSP and HSTS shared with the local portal server, and the URL as an
output. Locally the same template makes the bucket and no CloudFront (provision.AWS_ONLY_TYPES)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import boto3
import package_stack
import portal_build
import portal_server
import provision
import pytest

from tests.conftest import TEST_ENV
from tests.integration.conftest import OUTPUTS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((ROOT / "infrastructure" / "template.json").read_text())
RESOURCES = TEMPLATE["Resources"]
# AWS's managed policies (their ids are fixed and documented).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CLOUDFRONT_TYPES = {"AWS::CloudFront::Distribution", "AWS::CloudFront::Function",
                    "AWS::CloudFront::OriginAccessControl", "AWS::CloudFront::ResponseHeadersPolicy"}


def _one(resource_type: str) -> tuple[str, dict]:
    found = [(name, res) for name, res in RESOURCES.items() if res["Type"] == resource_type]
    assert len(found) == 1, f"expected one {resource_type}, found {[n for n, _ in found]}"
    return found[0]


def _distribution() -> dict:
    return _one("AWS::CloudFront::Distribution")[1]["Properties"]["DistributionConfig"]


def _origin(config: dict, origin_id: str) -> dict:
    return next(o for o in config["Origins"] if o["Id"] == origin_id)


def test_the_portal_bucket_is_private_and_only_the_distribution_reads_it():
    bucket_name, bucket = _one("AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                       "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert "AccessControl" not in props and "WebsiteConfiguration" not in props
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}  # no ACLs at all
    distribution_name, _ = _one("AWS::CloudFront::Distribution")
    _, policy = _one("AWS::S3::BucketPolicy")
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_name}
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert {a for s in allows for a in package_stack.as_list(s["Action"])} == {"s3:GetObject", "s3:ListBucket"}
    for statement in allows:
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}, "only CloudFront may read"
        source = statement["Condition"]["StringEquals"]["AWS:SourceArn"]
        assert distribution_name in package_stack.references(source), "only this stack's distribution"
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_the_distribution_reaches_the_bucket_through_origin_access_control():
    config = _distribution()
    oac_name, oac = _one("AWS::CloudFront::OriginAccessControl")
    assert oac["Properties"]["OriginAccessControlConfig"] | {"Name": None, "Description": None} == {
        "Name": None, "Description": None, "OriginAccessControlOriginType": "s3", "SigningBehavior": "always",
        "SigningProtocol": "sigv4"}
    bucket_name, _ = _one("AWS::S3::Bucket")
    s3_origin = _origin(config, config["DefaultCacheBehavior"]["TargetOriginId"])
    assert s3_origin["DomainName"] == {"Fn::GetAtt": [bucket_name, "RegionalDomainName"]}
    assert s3_origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_name, "Id"]}
    assert s3_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}, "OAC, not the legacy identity"
    default = config["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["CachePolicyId"] == CACHING_OPTIMIZED


def test_api_calls_go_to_the_stages_api_uncached_with_the_viewers_headers_and_query():
    config = _distribution()
    [behaviour] = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    # Every viewer header but Host (Authorization included) and the whole query string.
    assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert set(behaviour["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert behaviour["ViewerProtocolPolicy"] == "https-only"
    assert "ResponseHeadersPolicyId" not in behaviour, "the API sets its own headers (stricter CSP)"
    origin = _origin(config, behaviour["TargetOriginId"])
    # scripts/package wires it to chalice's RestAPI (tests/integration/test_package.py checks the packaged template).
    assert origin["DomainName"] == {"Ref": package_stack.API_ORIGIN_PARAMETER}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    # No function strips /api: the prefix is the API Gateway stage's name, so /api/services on
    # CloudFront is <api>/api/services, the route /services. Keep the three equal.
    assert not origin.get("OriginPath")
    assert not behaviour.get("FunctionAssociations")
    client = (ROOT / "portal" / "src" / "api" / "client.ts").read_text()
    assert re.search(r'export const API_BASE = "/api";', client)
    assert portal_server.API_PREFIX == "/api"
    config_file = package_stack.load_config()
    for stage in package_stack.deployable_stages(config_file):
        assert config_file["stages"][stage]["api_gateway_stage"] == "api", stage


def _fallback_code() -> str:
    config = _distribution()
    [association] = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function_name = association["FunctionARN"]["Fn::GetAtt"][0]
    function = RESOURCES[function_name]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0" and function["AutoPublish"] is True
    return function["FunctionCode"]


def test_app_urls_get_index_html_and_a_missing_asset_stays_a_404():
    node = shutil.which("node")
    assert node, "node runs the CloudFront Function here (the portal's build needs it anyway)"
    uris = ["/", "/flags", "/flags/checkout.v2", "/deployments/123", "/services/abc/edit",
            "/assets/index-BGhgNteo.js", "/assets/missing.js", "/favicon.svg", "/robots.txt"]
    program = _fallback_code() + f"\nconsole.log(JSON.stringify({json.dumps(uris)}.map(" \
                                 "u => handler({request: {uri: u, querystring: {}, headers: {}}}).uri)));"
    result = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    rewritten = dict(zip(uris, json.loads(result.stdout), strict=True))
    assert rewritten == {
        "/": "/index.html", "/flags": "/index.html", "/flags/checkout.v2": "/index.html",
        "/deployments/123": "/index.html", "/services/abc/edit": "/index.html",
        # Files go to S3 as asked: a missing one is S3's 404 (ListBucket is granted), not HTML.
        "/assets/index-BGhgNteo.js": "/assets/index-BGhgNteo.js", "/assets/missing.js": "/assets/missing.js",
        "/favicon.svg": "/favicon.svg", "/robots.txt": "/robots.txt"}
    assert not _distribution().get("CustomErrorResponses"), "error pages would answer a missing asset with HTML"


def test_the_csp_and_hsts_come_from_one_policy_that_the_local_server_serves():
    policy_name, policy = _one("AWS::CloudFront::ResponseHeadersPolicy")
    assert _distribution()["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": policy_name}
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert headers["ContentSecurityPolicy"]["Override"] is True
    directives = dict((d.split(" ", 1) + [""])[:2] for d in (part.strip() for part in csp.split(";")))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31_536_000 and hsts["IncludeSubdomains"] is True and hsts["Override"]
    # The local server's headers are these (read from the template: one copy).
    assert portal_server.SECURITY_HEADERS == {
        "Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": headers["FrameOptions"]["FrameOption"],
        "Referrer-Policy": headers["ReferrerPolicy"]["ReferrerPolicy"]}
    assert portal_server.security_headers() == portal_server.SECURITY_HEADERS


def test_the_built_portal_needs_nothing_the_csp_forbids():
    portal_build.ensure_built(log=lambda _: None)
    html = (portal_build.DIST / "index.html").read_text()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts, "the built index.html loads its bundle"
    for attributes, body in scripts:
        assert 'src="/assets/' in attributes and not body.strip(), "inline script"
    assert "<style" not in html and not re.search(r"\sstyle=", html), "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "a file from another origin"


def test_the_portal_url_is_a_stack_output():
    distribution_name, _ = _one("AWS::CloudFront::Distribution")
    outputs = TEMPLATE["Outputs"]
    assert outputs["PortalURL"]["Value"] == {"Fn::Sub": f"https://${{{distribution_name}.DomainName}}/"}
    assert outputs["PortalDistributionId"]["Value"] == {"Ref": distribution_name}
    assert outputs["PortalBucketName"]["Value"] == {"Ref": _one("AWS::S3::Bucket")[0]}


# --- local stacks ---------------------------------------------------------------------------------

def test_a_local_stack_leaves_out_exactly_the_aws_only_types_and_what_refers_to_them():
    assert CLOUDFRONT_TYPES <= provision.AWS_ONLY_TYPES
    local = provision.local_stack_template(TEMPLATE)
    left_out = set(RESOURCES) - set(local["Resources"])
    aws_only = {name for name, res in RESOURCES.items() if res["Type"] in provision.AWS_ONLY_TYPES}
    assert aws_only <= left_out
    assert left_out - aws_only == {_one("AWS::S3::BucketPolicy")[0]}, "only what names an AWS-only resource"
    assert not {res["Type"] for res in local["Resources"].values()} & CLOUDFRONT_TYPES
    assert _one("AWS::S3::Bucket")[0] in local["Resources"]
    assert {"PortalURL", "PortalDistributionId"}.isdisjoint(local["Outputs"]) and "PortalBucketName" in local["Outputs"]
    stack_template, machines = provision.split_template(TEMPLATE)
    assert set(stack_template["Resources"]) == set(local["Resources"]) - set(machines)


def test_the_local_stack_has_the_portal_bucket_and_no_cloudfront():
    """The stack the test session provisioned in moto, through the same provisioner scripts/dev runs."""
    stack = f"{TEST_ENV['IDP_TABLE_PREFIX']}-stack"
    resources = boto3.client("cloudformation", region_name="us-east-1").describe_stack_resources(
        StackName=stack)["StackResources"]
    types = {r["ResourceType"] for r in resources if "ResourceType" in r}
    assert "AWS::S3::Bucket" in types and not types & CLOUDFRONT_TYPES
    boto3.client("s3", region_name="us-east-1").head_bucket(Bucket=OUTPUTS["PortalBucketName"])
    assert "PortalURL" not in OUTPUTS


def test_the_application_code_does_not_know_about_cloudfront():
    sources = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    assert len(sources) > 5
    assert not [p for p in sources if re.search(r"cloudfront|AWS_ONLY", p.read_text(), re.IGNORECASE)]


@pytest.mark.parametrize("stage", package_stack.deployable_stages())
def test_the_upload_commands_use_the_stack_outputs_and_the_cache_rules(stage):
    commands = package_stack.portal_commands(stage, f"out/{stage}")
    text = "\n".join(commands)
    for output in ("PortalBucketName", "PortalDistributionId", "PortalURL"):
        assert f"--stack-name idp-{stage} " in text and f"OutputKey=='{output}'" in text
        assert output in TEMPLATE["Outputs"]
    syncs = [c for c in commands if c.startswith("aws s3 sync")]
    assets_first, rest, cleanup = syncs
    assert f"out/{stage}/portal/assets " in assets_first and "immutable" in assets_first and "--delete" not in assets_first
    assert '--exclude "assets/*"' in rest and '--cache-control "no-cache"' in rest and "--delete" in rest
    assert "--delete" in cleanup and "immutable" in cleanup
    assert commands.index(cleanup) > commands.index(next(c for c in commands if "create-invalidation" in c))
