"""scripts/backup and scripts/restore: a full stack round-trips item for item into a fresh
emulator; damaged, truncated or foreign archives and non-empty targets are refused, writing nothing."""
from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import backup
import boto3
import provision
import pytest
import restore
from devstack import free_port, port_open, wait_http

from chalicelib.core import clock
from chalicelib.domain import alerts
from chalicelib.domain import users as users_domain
from chalicelib.storage import base
from chalicelib.storage.logs import LogRecord
from chalicelib.storage.sdk_keys import SdkKeyRecord
from chalicelib.storage.services import ServiceRecord, ServiceTagRecord
from tests.conftest import ROOT
from tests.e2e.stack import http, serving
from tests.integration.conftest import TABLES, _empty_tables

pytestmark = pytest.mark.allow_scan
PREFIX = "idp-test"


def _put(table: str, item: dict) -> None:
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=f"{PREFIX}-{table}", Item=item)


def populate(api, make_user) -> None:
    """Users, services, deployments, logs, flags, SDK keys, audit entries, counters, alerts,
    idempotency records: every table, every DynamoDB type the platform writes (and binary)."""
    developer = make_user("developer")  # users, uniques, counters, audit
    api.post("/auth/login", {"email": "nobody@example.com", "password": "wrong-password"})  # throttle counter
    now = clock.now_iso()
    service_id, deployment_id = clock.new_id(), clock.new_id()
    ServiceRecord(service_id, name="payments", description="Payments API", repository_url="https://git.example/p",
                  owner_id=developer.id, lifecycle="production", tier=1, tags=["pci", "core"], health="healthy",
                  active_slots={}, last_deployment={"id": deployment_id, "status": "SUCCESS", "version": "v1.2.0",
                                                    "environment": "production", "finished_at": now},
                  created_at=now, updated_at=now, version=3, sort_key=clock.sort_key(now, service_id)).save()
    for tag in ("pci", "core"):  # its tag index items (service-tags)
        ServiceTagRecord(tag, clock.sort_key(now, service_id), service_id=service_id, owner_id=developer.id,
                         lifecycle="production").save()
    _put("deployments", {
        "id": {"S": deployment_id}, "service_id": {"S": service_id}, "version": {"S": "v1.2.0"},
        "environment": {"S": "production"}, "status": {"S": "SUCCESS"}, "error": {"NULL": True},
        "service_env": {"S": f"{service_id}#production"}, "list_pk": {"S": "deployment"},
        "sort_key": {"S": clock.sort_key(now, deployment_id)},
        "steps": {"L": [{"M": {"name": {"S": "Pull code"}, "status": {"S": "succeeded"}, "started_at": {"S": now},
                               "finished_at": {"S": now}}}]},
        "duration_ms": {"N": "14500.25"}})
    for number in range(3):
        line_id = clock.new_id()
        LogRecord(service_id, f"{now}#{line_id}", id=line_id, deployment_id=deployment_id, timestamp=now,
                  level="INFO", message=f"step {number} ✓ done", metadata={"step": number, "ok": True},
                  expires_at=clock.epoch() + 86400).save()
    _put("flags", {"key": {"S": "new-checkout"}, "enabled": {"BOOL": True},
                   "environments": {"L": [{"S": "staging"}, {"S": "production"}]}, "rollout_percentage": {"N": "25"},
                   "list_pk": {"S": "flag"}, "sort_key": {"S": f"{now}#new-checkout"}, "tags": {"SS": ["a", "b"]},
                   "weights": {"NS": ["1", "2.5"]}, "salt": {"B": b"\x00\xffsalt"}, "blobs": {"BS": [b"\x01", b"\x02"]}})
    key_id = clock.new_id()
    SdkKeyRecord(key_id, name="web", environment="production", key_hash="ab" * 32, key_prefix="idp_sk_ab",
                 created_by=developer.id, created_at=now, sort_key=clock.sort_key(now, key_id)).save()
    _put("idempotency", {"id": {"S": "POST#/deployments#key-1"}, "status": {"S": "COMPLETED"},
                         "expiration": {"N": str(clock.epoch() + 3600)}, "data": {"S": json.dumps({"id": deployment_id})}})
    with base.transaction() as transaction:
        alerts.service_registered(transaction, service_id, "payments")


def _key(item: dict) -> str:
    return json.dumps(item, sort_keys=True, default=repr)


def snapshot(client, prefix: str) -> dict[str, list[dict]]:
    tables = {}
    for full_name in TABLES:
        name = full_name.removeprefix(f"{PREFIX}-")
        items = [i for page in client.get_paginator("scan").paginate(TableName=f"{prefix}-{name}") for i in page["Items"]]
        tables[name] = sorted(items, key=_key)
    return tables


@pytest.fixture
def fresh_emulator():
    port = free_port()
    with serving([sys.executable, str(ROOT / "scripts" / "emulator.py"), "--port", str(port)],
                 f"http://127.0.0.1:{port}/moto-api/", timeout=30):
        yield f"http://127.0.0.1:{port}"


def _script_env(endpoint: str, prefix: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update({"AWS_ENDPOINT_URL": endpoint, "IDP_TABLE_PREFIX": prefix,
                "IDP_VENV": os.path.dirname(os.path.dirname(sys.executable))})
    return env


def test_a_backup_restored_into_a_fresh_emulator_is_item_for_item_equal(api, make_user, tmp_path, fresh_emulator):
    populate(api, make_user)
    source = snapshot(boto3.client("dynamodb", region_name="us-east-1"), PREFIX)
    assert all(source.values()), {name: len(items) for name, items in source.items()}  # every table has items
    archive = tmp_path / "idp.jsonl.gz"
    end = backup.backup(archive, prefix=PREFIX)
    assert end["counts"] == {name: len(items) for name, items in source.items()}

    env = _script_env(fresh_emulator, "idp-restored")
    result = subprocess.run([str(ROOT / "scripts" / "restore"), "--provision", "idp.jsonl.gz"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"restored {end['items']} items into idp-restored" in result.stdout
    target = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=fresh_emulator)
    assert snapshot(target, "idp-restored") == source

    # The round trip through the backup script of the restored stack gives the same archive content.
    again = subprocess.run([str(ROOT / "scripts" / "backup"), "-o", "again.jsonl.gz"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stderr[-3000:]
    first, second = restore.read_archive(archive), restore.read_archive(tmp_path / "again.jsonl.gz")
    assert first[0]["tables"] == second[0]["tables"]
    assert {k: sorted(v, key=_key) for k, v in first[1].items()} == {k: sorted(v, key=_key) for k, v in second[1].items()}

    # The restored stack is not empty any more: a second restore is refused unless forced.
    refused = subprocess.run([str(ROOT / "scripts" / "restore"), "idp.jsonl.gz"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=180)
    assert refused.returncode == 2 and "not empty" in refused.stderr and "--force" in refused.stderr


def _small_archive(api, make_user, tmp_path) -> Path:
    make_user("viewer")
    archive = tmp_path / "small.jsonl.gz"
    backup.backup(archive, prefix=PREFIX)
    _empty_tables()
    return archive


def _rewrite(path: Path, change) -> Path:
    lines = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    target = path.with_name("changed-" + path.name)
    target.write_bytes(gzip.compress("".join(change(lines)).encode()))
    return target


def _assert_refused_and_nothing_written(path: Path, message: str) -> None:
    with pytest.raises(backup.BackupError, match=message):
        restore.restore(path, prefix=PREFIX)
    client = boto3.client("dynamodb", region_name="us-east-1")
    assert all(client.scan(TableName=table, Select="COUNT")["Count"] == 0 for table in TABLES)


def test_truncated_or_altered_archives_are_refused_and_nothing_is_written(api, make_user, tmp_path):
    archive = _small_archive(api, make_user, tmp_path)
    data = archive.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    _assert_refused_and_nothing_written(cut, "truncated or damaged")
    _assert_refused_and_nothing_written(_rewrite(archive, lambda lines: lines[:-2]), "end marker is missing")
    _assert_refused_and_nothing_written(_rewrite(archive, lambda lines: lines[:-1]), "end marker is missing")

    def alter(lines):
        item = json.loads(lines[1])
        item["item"]["tampered"] = {"S": "yes"}
        return [lines[0], json.dumps(item) + "\n", *lines[2:]]

    # The real mismatch is named: same counts, another digest; or a line gone, another count.
    with pytest.raises(backup.BackupError) as altered:
        restore.read_archive(_rewrite(archive, alter))
    assert "SHA-256 of its item lines is" in str(altered.value) and "the counts match" in str(altered.value)
    assert "counts {" not in str(altered.value)
    _assert_refused_and_nothing_written(_rewrite(archive, alter), "altered")
    _assert_refused_and_nothing_written(_rewrite(archive, lambda lines: [lines[0], *lines[2:]]),
                                        r"item counts do not match its end marker \(\{'\w+': '1 read, 2 expected'\}\)")
    restore.restore(archive, prefix=PREFIX)  # the intact archive loads
    assert boto3.client("dynamodb", region_name="us-east-1").scan(TableName=f"{PREFIX}-users", Select="COUNT")["Count"] == 2


def test_foreign_archives_are_refused(api, make_user, tmp_path):
    archive = _small_archive(api, make_user, tmp_path)
    plain = tmp_path / "notes.txt"
    plain.write_text("just some text\n")
    _assert_refused_and_nothing_written(plain, "not an IDP backup archive")
    other = tmp_path / "other.jsonl.gz"
    other.write_bytes(gzip.compress(b'{"format": "someone-elses-export", "items": []}\n'))
    _assert_refused_and_nothing_written(other, "not an IDP backup archive")
    tarball = tmp_path / "dir.tar.gz"
    subprocess.run(["tar", "-czf", str(tarball), "-C", str(ROOT), "infrastructure"], check=True)
    _assert_refused_and_nothing_written(tarball, "not an IDP backup archive")
    empty = tmp_path / "empty.jsonl.gz"
    empty.write_bytes(gzip.compress(b""))
    _assert_refused_and_nothing_written(empty, "empty")

    def future(lines):
        header = json.loads(lines[0])
        header["format_version"] = 99
        return [json.dumps(header) + "\n", *lines[1:]]

    _assert_refused_and_nothing_written(_rewrite(archive, future), "format version 99")

    def other_schema(lines):
        header = json.loads(lines[0])
        users = next(t for t in header["tables"] if t["name"] == "users")
        users["key_schema"] = [{"AttributeName": "email", "KeyType": "HASH"}]
        return [json.dumps(header) + "\n", *lines[1:]]

    _assert_refused_and_nothing_written(_rewrite(archive, other_schema), "key schema differs")


def test_a_non_empty_stack_is_refused_unless_forced(api, admin, make_user, tmp_path, capsys):
    archive = tmp_path / "full.jsonl.gz"
    make_user("viewer")
    end = backup.backup(archive, prefix=PREFIX)
    assert restore.main([str(archive)]) == 2
    error = capsys.readouterr().err
    assert "restore refused, nothing written: the target is not empty" in error and f"{PREFIX}-users" in error
    assert restore.main([str(archive), "--force"]) == 0
    assert f"restored {end['items']} items" in capsys.readouterr().out
    assert api.get("/users", token=admin.token).status == 200


def test_backup_and_restore_without_an_endpoint_or_credentials_say_what_to_set(api, make_user, tmp_path):
    """A newcomer's first run: no AWS_ENDPOINT_URL, no credentials. A sentence, not a traceback."""
    archive = _small_archive(api, make_user, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true",  # no instance role to look for here
                "IDP_VENV": os.path.dirname(os.path.dirname(sys.executable))})
    for command in (["backup", "-o", "out.jsonl.gz"], ["restore", str(archive)]):
        result = subprocess.run([str(ROOT / "scripts" / command[0]), *command[1:]], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (command, result.stderr[-2000:])
        assert "Traceback" not in result.stderr and "NoCredentialsError" not in result.stderr, result.stderr[-2000:]
        assert "no AWS credentials" in result.stderr and "AWS_ENDPOINT_URL=http://127.0.0.1:4566" in result.stderr
        assert "AWS_PROFILE" in result.stderr and "AWS_REGION" in result.stderr
    assert not (tmp_path / "out.jsonl.gz").exists()


def test_backup_to_an_emulator_that_is_not_running_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
                "IDP_VENV": os.path.dirname(os.path.dirname(sys.executable))})
    result = subprocess.run([str(ROOT / "scripts" / "backup"), "-o", "out.jsonl.gz"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert f"nothing answers at AWS_ENDPOINT_URL={env['AWS_ENDPOINT_URL']}" in result.stderr


def readme_block(heading: str) -> str:
    """The first ```bash block after ``heading`` in README.md."""
    text = (ROOT / "README.md").read_text()
    return text[text.index(heading):].split("```bash\n", 1)[1].split("```", 1)[0]


def newcomer_env(tmp_path: Path, **settings) -> dict:
    """A shell as a newcomer has it: none of this test session's AWS or IDP settings, no ~/.aws."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDP_"))}
    env.update({"HOME": str(tmp_path), "IDP_VENV": os.path.dirname(os.path.dirname(sys.executable)), **settings})
    return env


def _stop_group(process: subprocess.Popen, ports: tuple[int, ...]) -> None:
    """SIGTERM to the whole group (bash and everything it started), then SIGKILL what is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        process.poll()
        time.sleep(0.2)
    else:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(port_open(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.mark.e2e
def test_the_readme_restore_recipe_as_written_serves_the_data_and_runs_new_deployments(api, tmp_path):
    """README.md 'Restoring a local stack from scratch', its three lines pasted into a shell as they
    stand (only the ports changed to free ones), then the README's API walkthrough against it: its
    deployment is watched by the README's loop until SUCCESS."""
    recipe = readme_block("Restoring a local stack from scratch:")
    commands = [re.sub(r"\s+#.*$", "", line) for line in recipe.splitlines() if line.strip()]
    assert len(commands) == 3 and commands[0].endswith("&") and commands[2].endswith("scripts/dev"), commands
    assert not any(re.match(r"python3?\s", command) for command in commands), "every command through scripts/"
    # The archive: the first admin with the documented local default password, and a developer.
    users_domain.ensure_admin("admin@example.com", "Administrator", provision.LOCAL_DEFAULT_PASSWORD)
    admin = api.login("admin@example.com", provision.LOCAL_DEFAULT_PASSWORD)
    assert api.post("/users", {"email": "restored-dev@example.com", "name": "Dev", "password": "restored-password",
                               "role": "developer"}, token=admin.token).status == 201
    backup.backup(tmp_path / "idp.jsonl.gz", prefix=PREFIX)

    emulator_port, api_port = free_port(), free_port()
    # Run from the repository root, as the README's commands are; the archive is this test's.
    assert " idp.jsonl.gz\n" in recipe
    script = recipe.replace("4566", str(emulator_port)).replace(" idp.jsonl.gz\n", f" {tmp_path / 'idp.jsonl.gz'}\n")
    env = newcomer_env(tmp_path, IDP_PORT=str(api_port), IDP_PORTAL_PORT=str(free_port()),
                       IDP_STEP_TIME_SCALE="0", IDP_DEPLOY_SUCCESS_RATE="100",
                       IDP_BCRYPT_ROUNDS="4", IDP_LOG_LEVEL="WARNING")
    log_path = tmp_path / "recipe.log"
    with open(log_path, "w") as log:
        recipe_shell = subprocess.Popen(["bash", "-c", script], cwd=ROOT, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        api_url = f"http://127.0.0.1:{api_port}"
        wait_http(f"{api_url}/health", 240, process=recipe_shell)
        status, _, _ = http_login(api_url, "restored-dev@example.com", "restored-password")
        assert status == 200  # the restored data is served

        walkthrough = readme_block("## Using the API")
        assert "API=http://127.0.0.1:8000\n" in walkthrough
        run = subprocess.run(["bash", "-c", walkthrough.replace("API=http://127.0.0.1:8000", f"API={api_url}")],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
                             start_new_session=True)
        watched = [line for line in run.stdout.splitlines() if re.fullmatch(r"(PENDING|RUNNING|SUCCESS)\b.*", line)]
        assert watched and watched[-1].strip() == "SUCCESS", (run.stdout[-3000:], run.stderr[-3000:])
        status, _, token = http_login(api_url, "admin@example.com", provision.LOCAL_DEFAULT_PASSWORD)
        status, _, page = http("GET", f"{api_url}/deployments", token=token["access_token"])
        assert [d["status"] for d in page["items"]] == ["SUCCESS"], page
    finally:
        _stop_group(recipe_shell, (emulator_port, api_port))
    assert not port_open(emulator_port) and not port_open(api_port)
    output = log_path.read_text()
    assert "first admin admin@example.com already exists; its password is still the one from the local default" \
        in output, output[-3000:]
    assert (f'sign in: POST {api_url}/auth/login {{"email": "admin@example.com", "password": '
            f'"{provision.LOCAL_DEFAULT_PASSWORD}"}}') in output


def http_login(api_url: str, email: str, password: str):
    return http("POST", f"{api_url}/auth/login", {"email": email, "password": password})
