"""The portal's part 2 (flags, SDK keys, audit, users, alerts) in real headless Chromium against
the real local stack, as ``tests/e2e/test_portal_browser.py`` drives part 1. After each action taken in
the portal, ``/audit`` is read through the API: the entry is there, with the signed-in person as actor."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import api_token, create_user, serious_accessibility_violations, sign_in
from tests.e2e.stack import E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, http, running_stack

pytestmark = pytest.mark.e2e

PASSWORD = "browser-test-password"


@pytest.fixture(scope="module")
def stack():
    with running_stack("portal2", portal=True) as running:
        yield running


@pytest.fixture(scope="module")
def people(stack):
    admin_token = api_token(stack.api_url, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD)
    status, _, admin = http("GET", f"{stack.api_url}/auth/me", token=admin_token)
    assert status == 200, admin
    developer = create_user(stack.api_url, admin_token, "dev@example.com", "developer", "Dana Developer", PASSWORD)
    return {"admin_token": admin_token, "admin": admin, "developer": developer,
            "developer_token": api_token(stack.api_url, "dev@example.com", PASSWORD)}


def _flag(stack, people, **fields) -> dict:
    key = f"flag-{uuid.uuid4().hex[:8]}"
    status, _, body = http("POST", f"{stack.api_url}/flags", {"key": key, **fields}, token=people["admin_token"])
    assert status == 201, body
    return body


def _sdk_key(stack, people, environment: str = "production") -> str:
    status, _, body = http("POST", f"{stack.api_url}/sdk-keys", {"name": f"test {uuid.uuid4().hex[:6]}",
                                                                 "environment": environment},
                           token=people["admin_token"])
    assert status == 201, body
    return body["key"]


def _ofrep(stack, key: str, flag_key: str):
    return http("POST", f"{stack.api_url}/ofrep/v1/evaluate/flags/{flag_key}",
                {"context": {"targetingKey": "user-42"}}, headers={"X-API-Key": key})


def _newest_audit(stack, people, **filters) -> dict:
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    status, _, body = http("GET", f"{stack.api_url}/audit?{query}&limit=1", token=people["admin_token"])
    assert status == 200, body
    assert body["items"], f"no audit entry for {filters}"
    return body["items"][0]


def _open(page, url: str, email: str = E2E_ADMIN_EMAIL, password: str = E2E_ADMIN_PASSWORD) -> None:
    """Open a deep link signed out, sign in on /login, and be back at it."""
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/login"))
    sign_in(page, email, password)
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))


def test_the_kill_switch_turns_a_flag_off_for_an_ofrep_client_at_once(tab, stack, people):
    flag = _flag(stack, people, enabled=True)
    sdk_key = _sdk_key(stack, people)
    status, _, body = _ofrep(stack, sdk_key, flag["key"])
    assert (status, body["value"]) == (200, True), body

    page = tab.page
    _open(page, f"/flags/{flag['key']}", "dev@example.com", PASSWORD)
    switch = page.get_by_role("checkbox", name="Enabled")
    expect(switch).to_be_checked()
    switch.uncheck()
    page.get_by_role("button", name="Turn off").click()
    expect(page.get_by_text(f"Saved: {flag['key']} is now off.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Enabled")).not_to_be_checked()

    status, _, body = _ofrep(stack, sdk_key, flag["key"])
    assert status == 200, body
    assert (body["value"], body["reason"]) == (False, "DISABLED")
    entry = _newest_audit(stack, people, action="flag.update", resource_id=flag["key"])
    assert entry["actor_id"] == people["developer"]["id"]
    assert entry["changes"]["enabled"] == {"from": True, "to": False}


def test_a_stale_version_says_so_offers_reload_and_loses_nothing(tab, stack, people):
    flag = _flag(stack, people, rollout_percentage=100)
    page = tab.page
    _open(page, f"/flags/{flag['key']}", "dev@example.com", PASSWORD)
    page.get_by_role("spinbutton", name="Rollout percentage").fill("30")
    # Someone else saves first, behind the page's back.
    status, _, body = http("PATCH", f"{stack.api_url}/flags/{flag['key']}",
                           {"rollout_percentage": 70, "version": flag["version"]}, token=people["admin_token"])
    assert status == 200, body
    page.get_by_role("button", name="Save").click()
    conflict = page.get_by_role("alert")
    expect(conflict).to_contain_text("Someone else saved this flag first")
    expect(conflict).to_contain_text("Rollout percentage: 100 → 70")
    expect(page.get_by_role("spinbutton", name="Rollout percentage")).to_have_value("30")
    conflict.get_by_role("button", name="Reload").click()
    expect(page.get_by_text(re.compile(r"Your changes \(Rollout percentage\) are kept"))).to_be_visible()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile(r"Saved version \d+\."))).to_be_visible()

    status, _, saved = http("GET", f"{stack.api_url}/flags/{flag['key']}", token=people["admin_token"])
    assert saved["rollout_percentage"] == 30
    entry = _newest_audit(stack, people, action="flag.update", resource_id=flag["key"])
    assert entry["actor_id"] == people["developer"]["id"]
    assert entry["changes"]["rollout_percentage"] == {"from": 70, "to": 30}


def test_a_flag_created_in_the_portal_shows_its_diff_in_the_audit_page(tab, stack, people):
    key = f"portal-{uuid.uuid4().hex[:8]}"
    page = tab.page
    _open(page, "/flags", "dev@example.com", PASSWORD)
    page.get_by_role("button", name="New flag").click()
    page.get_by_role("textbox", name="Key").fill(key)
    page.get_by_role("textbox", name="Description").fill("Made in the browser")
    page.get_by_role("checkbox", name="staging").check()
    page.get_by_role("spinbutton", name="Rollout percentage").fill("40")
    page.get_by_role("button", name="Create flag").click()
    expect(page.get_by_role("heading", level=1, name=key)).to_be_visible()
    entry = _newest_audit(stack, people, action="flag.create", resource_id=key)
    assert entry["actor_id"] == people["developer"]["id"]

    page.get_by_role("navigation").get_by_role("link", name="Audit", exact=True).click()
    expect(page.get_by_text("You see your own entries only")).to_be_visible()
    page.get_by_role("combobox", name="Action").select_option("flag.create")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=key))
    expect(row).to_contain_text("Dana Developer")
    expect(row).to_contain_text("rollout_percentage: (none) → 40")
    expect(row).to_contain_text('environments: (none) → ["staging"]')


def test_an_sdk_key_is_created_copied_and_shown_only_once(tab, stack, people):
    flag = _flag(stack, people, enabled=True)
    page = tab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _open(page, "/sdk-keys")
    page.get_by_role("button", name="New SDK key").click()
    page.get_by_role("textbox", name="Name").fill("checkout web")
    page.get_by_role("combobox", name="Environment").select_option("staging")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    secret = page.locator("code.new-secret").inner_text()
    assert secret.startswith("idp_sk_")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    expect(page.locator("#ofrep-snippet")).to_contain_text(f'"X-API-Key": "{secret}"')
    status, _, body = _ofrep(stack, secret, flag["key"])
    assert (status, body["value"]) == (200, True), body
    entry = _newest_audit(stack, people, action="sdk_key.create")
    assert entry["actor_id"] == people["admin"]["id"]

    page.reload()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="checkout web"))
    expect(row).to_contain_text("staging")
    expect(page.get_by_text(secret)).to_have_count(0)

    row.get_by_role("button", name="Revoke").click()
    row.get_by_role("button", name="Revoke key").click()
    expect(page.get_by_role("rowheader", name="checkout web")).to_have_count(0)
    status, _, _ = _ofrep(stack, secret, flag["key"])
    assert status == 401
    entry = _newest_audit(stack, people, action="sdk_key.delete")
    assert entry["actor_id"] == people["admin"]["id"]


def test_a_user_is_created_then_disabled(tab, stack, people):
    email = f"new-{uuid.uuid4().hex[:6]}@example.com"
    page = tab.page
    _open(page, "/users")
    page.get_by_role("button", name="New user").click()
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Name").fill("Nora New")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("combobox", name="Role").select_option("viewer")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_text(f"Created Nora New ({email}) as viewer.")).to_be_visible()
    created = _newest_audit(stack, people, action="user.create")
    assert created["actor_id"] == people["admin"]["id"]
    assert created["changes"]["email"]["to"] == email
    assert http("POST", f"{stack.api_url}/auth/login", {"email": email, "password": PASSWORD})[0] == 200

    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Nora New"))
    row.get_by_role("button", name="Disable").click()
    expect(row).to_contain_text("disabled")
    expect(row.get_by_role("button", name="Enable")).to_be_visible()
    updated = _newest_audit(stack, people, action="user.update", resource_id=created["resource_id"])
    assert updated["actor_id"] == people["admin"]["id"]
    assert updated["changes"]["disabled"] == {"from": False, "to": True}
    assert http("POST", f"{stack.api_url}/auth/login", {"email": email, "password": PASSWORD})[0] == 401

    # The API's guard on the last admin is a message, not a crash.
    me = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile(r"\(you\)")))
    me.get_by_role("button", name="Delete user").click()
    me.get_by_role("button", name="Delete", exact=True).click()
    expect(me.get_by_role("status")).to_be_visible()


def test_an_alert_is_acknowledged_by_name(tab, stack, people):
    # Registering a service opens an info alert (chalicelib/domain/alerts.py service_registered).
    name = f"svc-{uuid.uuid4().hex[:6]}"
    status, _, service = http("POST", f"{stack.api_url}/services", {"name": name}, token=people["admin_token"])
    assert status == 201, service
    page = tab.page
    _open(page, "/", "dev@example.com", PASSWORD)
    page.get_by_role("link", name=re.compile(r"open alerts?$")).click()
    expect(page).to_have_url(re.compile(r"/alerts$"))
    row = page.get_by_role("row").filter(has=page.get_by_text(f"service {name} was registered"))
    expect(row).to_contain_text("info")
    row.get_by_role("button", name="Acknowledge").click()
    expect(row).to_contain_text("by Dana Developer")
    entry = _newest_audit(stack, people, action="alert.ack")
    assert entry["actor_id"] == people["developer"]["id"]


def test_the_admin_pages_are_hidden_from_a_developer(tab, people):
    page = tab.page
    page.goto("/login")
    sign_in(page, "dev@example.com", PASSWORD)
    navigation = page.get_by_role("navigation")
    expect(navigation.get_by_role("link", name="Flags", exact=True)).to_be_visible()
    expect(navigation.get_by_role("link", name="Users", exact=True)).to_have_count(0)
    expect(navigation.get_by_role("link", name="SDK keys", exact=True)).to_have_count(0)
    for url, title in (("/users", "Users"), ("/sdk-keys", "SDK keys")):
        page.goto(url)
        expect(page.get_by_role("alert")).to_contain_text(f"{title} is for admins only")
        expect(page.get_by_role("table")).to_have_count(0)


def test_every_page_of_part_two_is_accessible(tab, stack, people):
    flag = _flag(stack, people, description="For the axe check", environments=["staging"], rollout_percentage=50)
    page = tab.page
    page.goto("/login")
    sign_in(page)
    violations = {}
    for url in ("/flags", f"/flags/{flag['key']}", "/audit", "/alerts", "/users", "/sdk-keys"):
        page.goto(url)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        violations[url] = serious_accessibility_violations(page)
    # The forms too, open.
    page.goto("/flags")
    page.get_by_role("button", name="New flag").click()
    violations["/flags (New flag)"] = serious_accessibility_violations(page)
    page.goto(f"/flags/{flag['key']}")
    page.get_by_role("textbox", name="User ID").fill("user-1")
    page.get_by_role("button", name="Evaluate").click()
    expect(page.get_by_text(re.compile(r"Result for user-1"))).to_be_visible()
    violations["/flags/{key} (evaluated)"] = serious_accessibility_violations(page)
    page.goto("/sdk-keys")
    page.get_by_role("button", name="New SDK key").click()
    page.get_by_role("textbox", name="Name").fill("axe key")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    violations["/sdk-keys (created)"] = serious_accessibility_violations(page)
    page.goto("/users")
    page.get_by_role("button", name="New user").click()
    violations["/users (New user)"] = serious_accessibility_violations(page)
    assert {url: found for url, found in violations.items() if found} == {}
