"""A static, deliberately simple reading of which AWS actions the Lambda code can call, and of
what an IAM policy grants. Used by tests/integration/test_package.py to hold the hand-written Lambda policy
(.chalice/policy.json) to the code as the code grows.

What it sees (over-approximating rather than missing calls):
- boto3: every service named in a ``...client("svc")`` / ``resource("svc")`` call anywhere in the
  sources; then every ``.<operation>(`` call anywhere whose name is an operation of one of those
  services (from botocore's own service models, so ``describe_table`` → ``dynamodb:DescribeTable``
  and ``start_execution`` → ``states:StartExecution``), and ``get_paginator("<operation>")``.
- pynamodb: in modules that import pynamodb or the storage layer, every call of a Model/Index/
  transaction method name (``get``, ``query``, ``save``, ``update``, ``delete``, ``scan``,
  ``batch_write``, ``check``...) maps to its DynamoDB action. ``dict.get`` also counts as GetItem:
  harmless, since item reads are granted anyway; what matters is that Scan, BatchWriteItem or a
  table-level call cannot slip in unseen.
- A few libraries that call AWS on their own (Powertools idempotency and parameters).

What it cannot see: a client or method reached through ``getattr``/strings, or a library not
listed below. Say so in review when adding one.
"""
from __future__ import annotations

import ast
import fnmatch
import functools
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sources() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]


# pynamodb (and our storage.base.Transaction wrapper) method → IAM actions. TransactWriteItems is
# not an IAM action: DynamoDB authorises each item of a transaction by its own action.
PYNAMODB_ACTIONS = {
    "get": {"dynamodb:GetItem"},
    "refresh": {"dynamodb:GetItem"},
    "batch_get": {"dynamodb:BatchGetItem"},
    "query": {"dynamodb:Query"},
    "scan": {"dynamodb:Scan"},
    "count": {"dynamodb:Query", "dynamodb:DescribeTable"},
    "exists": {"dynamodb:DescribeTable"},
    "describe_table": {"dynamodb:DescribeTable"},
    "save": {"dynamodb:PutItem"},
    "update": {"dynamodb:UpdateItem"},
    "delete": {"dynamodb:DeleteItem"},
    "batch_write": {"dynamodb:BatchWriteItem"},
    "check": {"dynamodb:ConditionCheckItem"},
    "condition_check": {"dynamodb:ConditionCheckItem"},
    "create_table": {"dynamodb:CreateTable"},
    "delete_table": {"dynamodb:DeleteTable"},
    "update_ttl": {"dynamodb:UpdateTimeToLive"},
}
PYNAMODB_NAMES = {
    "TransactWrite": {"dynamodb:ConditionCheckItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
    "TransactGet": {"dynamodb:GetItem"},
}
# Libraries that make AWS calls themselves, by the module imported.
LIBRARY_ACTIONS = {
    "aws_lambda_powertools.utilities.idempotency": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                                    "dynamodb:DeleteItem"},
    "aws_lambda_powertools.utilities.parameters": {"ssm:GetParameter"},
}


@dataclass(frozen=True)
class Use:
    action: str
    where: str  # path:line

    def __str__(self) -> str:
        return f"{self.action} ({self.where})"


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _first_str(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@functools.cache
def _operations(service: str) -> tuple[str, dict[str, str]]:
    """(IAM prefix, snake_case method → OperationName) for a boto3 service name."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return model.signing_name, {xform_name(op): op for op in model.operation_names}


def code_uses(paths: list[Path] | None = None) -> set[Use]:
    """Every AWS action the sources may call, with where."""
    parsed = [(path, ast.parse(path.read_text(), str(path))) for path in (paths or sources())]
    uses: set[Use] = set()
    services: set[str] = set()
    for _, tree in parsed:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _call_name(node.func)
                if name and (name.endswith("client") or name == "resource") and _first_str(node):
                    services.add(_first_str(node))
    methods: dict[str, set[str]] = {}
    for service in services:
        prefix, operations = _operations(service)
        for method, operation in operations.items():
            methods.setdefault(method, set()).add(f"{prefix}:{operation}")
    for path, tree in parsed:
        rel = path.relative_to(ROOT)
        imports = _imports(tree)
        uses_models = any(i.startswith(("pynamodb", "chalicelib.storage")) for i in imports)
        for module, actions in LIBRARY_ACTIONS.items():
            if any(i.startswith(module) for i in imports):
                uses.update(Use(a, f"{rel}: imports {module}") for a in actions)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and uses_models and node.id in PYNAMODB_NAMES:
                uses.update(Use(a, f"{rel}:{node.lineno}") for a in PYNAMODB_NAMES[node.id])
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            name = node.func.attr
            where = f"{rel}:{node.lineno}"
            uses.update(Use(a, where) for a in methods.get(name, ()))
            if name == "get_paginator" and _first_str(node):
                uses.update(Use(a, where) for a in methods.get(_first_str(node), ()))
            if uses_models and name in PYNAMODB_ACTIONS:
                uses.update(Use(a, where) for a in PYNAMODB_ACTIONS[name])
    return uses


# --- IAM policies -------------------------------------------------------------------------------

PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
          "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "idp-stack"}


def resolve(node, values: dict[str, str]):
    """Resolve Ref / Fn::Sub / Fn::GetAtt (Arn) / Fn::Join with ``values`` (parameters, pseudo
    parameters and ``<Logical>`` or ``<Logical>.Arn`` of resources); unknown names stay ``${...}``."""
    if isinstance(node, dict):
        if "Ref" in node:
            return values.get(node["Ref"], "${" + node["Ref"] + "}")
        if "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            key = ".".join(target) if isinstance(target, list) else target
            return values.get(key, "${" + key + "}")
        if "Fn::Sub" in node:
            value = node["Fn::Sub"]
            text, local = (value, {}) if isinstance(value, str) else (value[0], value[1])
            scope = {**values, **{k: resolve(v, values) for k, v in local.items()}}
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(scope.get(m.group(1), m.group(0))), text)
        if "Fn::Join" in node:
            separator, parts = node["Fn::Join"]
            return separator.join(str(resolve(p, values)) for p in parts)
        return {k: resolve(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, values) for v in node]
    return node


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Grant:
    action: str
    resource: str
    sid: str


def grants(document: dict, values: dict[str, str]) -> list[Grant]:
    """Allow statements of a policy, one row per (action, resolved resource)."""
    rows = []
    for statement in as_list(resolve(document, values)["Statement"]):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            rows.append(Grant("NotAction/NotResource", "*", statement.get("Sid", "")))
            continue
        for action in as_list(statement["Action"]):
            for resource in as_list(statement.get("Resource", "*")):
                rows.append(Grant(action, resource, statement.get("Sid", "")))
    return rows


def action_granted(action: str, rows: list[Grant]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), row.action.lower()) for row in rows)


def resource_granted(action: str, arn: str, rows: list[Grant]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), row.action.lower()) and fnmatch.fnmatchcase(arn, row.resource)
               for row in rows)
