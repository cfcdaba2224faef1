"""The portal in real headless Chromium against the real local stack (moto server, ``chalice
local``, the built portal served as ``scripts/dev`` serves it), steps at ``IDP_STEP_TIME_SCALE=0``.
Controls are found by role and accessible name, as a person using the portal sees them."""
from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import jwt
import pytest
from devstack import LOCAL_JWT_SECRET
from playwright.sync_api import expect

from tests.e2e.browser import (
    SESSION_KEY,
    api_token,
    create_user,
    deploy_from_service_page,
    serious_accessibility_violations,
    sign_in,
    visit,
)
from tests.e2e.stack import http, running_stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "browser-test-password"
CALLS_REPORT = ROOT / "out" / "portal-api-calls.json"


@pytest.fixture(scope="module")
def stack():
    with running_stack("portal", portal=True, IDP_DEPLOY_SUCCESS_RATE="100") as running:
        yield running


@pytest.fixture(scope="module")
def people(stack):
    admin = api_token(stack.api_url, "admin@example.com", "e2e-admin-password")
    developer = create_user(stack.api_url, admin, "dev@example.com", "developer", "Dana Developer", PASSWORD)
    other = create_user(stack.api_url, admin, "other@example.com", "developer", "Omar Other", PASSWORD)
    viewer = create_user(stack.api_url, admin, "viewer@example.com", "viewer", "Vic Viewer", PASSWORD)
    return {"admin_token": admin, "developer": developer, "other": other, "viewer": viewer}


@pytest.fixture(scope="module")
def owned_service(stack, people):
    status, _, body = http("POST", f"{stack.api_url}/services",
                           {"name": "checkout-api", "description": "Takes the basket to payment",
                            "lifecycle": "production", "tags": ["payments"], "owner_id": people["developer"]["id"]},
                           token=people["admin_token"])
    assert status == 201, body
    return body


def _new_tab(browser, stack):
    return visit(browser, stack.portal_url)


def test_a_signed_out_visitor_signs_in_and_comes_back_to_the_deep_link(tab, owned_service):
    page = tab.page
    page.goto(f"/services/{owned_service['id']}")
    expect(page).to_have_url(re.compile(r"/login"))
    sign_in(page, "dev@example.com", PASSWORD)
    expect(page).to_have_url(re.compile(f"/services/{owned_service['id']}$"))
    expect(page.get_by_role("heading", level=1, name="checkout-api")).to_be_visible()
    page.reload()  # a deep link survives a reload: the server answers index.html, the session is kept
    expect(page.get_by_role("heading", level=1, name="checkout-api")).to_be_visible()


def test_a_failed_sign_in_shows_the_api_message_and_keeps_the_email(tab):
    page = tab.page
    page.goto("/login")
    page.get_by_role("textbox", name="Email").fill("dev@example.com")
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("invalid|incorrect|wrong", re.IGNORECASE))
    expect(page.get_by_role("textbox", name="Email")).to_have_value("dev@example.com")


def test_navigation_health_and_sign_out(tab, people):
    page = tab.page
    sign_in(page)
    navigation = page.get_by_role("navigation")
    for name in ("Dashboard", "Services", "Deployments", "Flags", "Audit", "Alerts", "Users", "SDK keys"):
        expect(navigation.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_text("ok", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert page.evaluate(f"window.sessionStorage.getItem({json.dumps(SESSION_KEY)})") is None
    page.goto("/services")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_developer_has_no_admin_links_and_no_edit_on_a_service_it_does_not_own(tab, people, owned_service):
    page = tab.page
    page.goto("/login")
    sign_in(page, "other@example.com", PASSWORD)
    expect(page.get_by_text("Omar Other")).to_be_visible()
    navigation = page.get_by_role("navigation")
    expect(navigation.get_by_role("link", name="Services", exact=True)).to_be_visible()
    expect(navigation.get_by_role("link", name="Users", exact=True)).to_have_count(0)
    expect(navigation.get_by_role("link", name="SDK keys", exact=True)).to_have_count(0)
    page.goto(f"/services/{owned_service['id']}")
    expect(page.get_by_role("heading", level=1, name="checkout-api")).to_be_visible()
    expect(page.get_by_role("button", name="Deploy")).to_be_visible()  # any developer may deploy
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete service")).to_have_count(0)


def test_a_viewer_sees_no_new_service_and_no_deploy(tab, owned_service):
    page = tab.page
    page.goto("/login")
    sign_in(page, "viewer@example.com", PASSWORD)
    page.goto("/services")
    expect(page.get_by_role("link", name="checkout-api")).to_be_visible()
    expect(page.get_by_role("button", name="New service")).to_have_count(0)
    page.get_by_role("link", name="checkout-api").click()
    expect(page.get_by_role("heading", level=1, name="checkout-api")).to_be_visible()
    expect(page.get_by_text("Dana Developer")).to_be_visible()  # the owner by name, not by id
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)


def test_a_developer_creates_a_service_field_errors_show_at_their_field_and_nothing_is_lost(tab):
    page = tab.page
    page.goto("/login")
    sign_in(page, "dev@example.com", PASSWORD)
    page.goto("/services")
    page.get_by_role("button", name="New service").click()
    name = page.get_by_role("textbox", name="Name")
    name.fill("Not A Slug")
    page.get_by_role("textbox", name="Description").fill("Sends the receipts")
    page.get_by_role("button", name="Create service").click()
    # The API's own message, tied to its field; what was typed is still there.
    expect(name).to_have_accessible_description(re.compile(r"\S"))
    expect(name).to_have_value("Not A Slug")
    expect(page.get_by_role("textbox", name="Description")).to_have_value("Sends the receipts")
    name.fill("receipts")
    page.get_by_role("textbox", name="Tags").fill("mail, billing")
    page.get_by_role("button", name="Create service").click()
    expect(page.get_by_role("heading", level=1, name="receipts")).to_be_visible()
    expect(page.get_by_text("Dana Developer")).to_be_visible()


def test_deploy_from_the_service_page_reaches_success_and_shows_logs_and_environment_state(tab, owned_service):
    page = tab.page
    page.goto("/login")
    sign_in(page, "dev@example.com", PASSWORD)
    deploy_from_service_page(page, owned_service["id"], "v1.0.0", "staging")
    expect(page.get_by_role("heading", name=re.compile("checkout-api.*v1.0.0"))).to_be_visible()
    expect(page.get_by_text("SUCCESS", exact=True)).to_be_visible()
    steps = page.get_by_role("list", name=re.compile("steps", re.IGNORECASE)).get_by_role("listitem")
    expect(steps).to_have_count(6)
    for index, step in enumerate(("Pull code", "Install dependencies", "Run tests", "Build", "Deploy",
                                  "Health check")):
        expect(steps.nth(index)).to_contain_text(step)
        expect(steps.nth(index)).to_contain_text("succeeded")
    expect(page.get_by_text(re.compile("Pull code", re.IGNORECASE)).first).to_be_visible()
    # Back on the service: staging names the deployment, production is untouched; the logs are there.
    page.goto(f"/services/{owned_service['id']}")
    staging = page.get_by_role("region", name="staging")
    expect(staging).to_contain_text("v1.0.0")
    expect(staging).to_contain_text("SUCCESS")
    expect(staging).to_contain_text("healthy")
    expect(page.get_by_role("region", name="production")).not_to_contain_text("v1.0.0")
    expect(page.get_by_role("combobox", name="Level")).to_be_visible()
    logs = page.get_by_role("region", name=re.compile("^Logs", re.IGNORECASE))
    expect(logs).to_contain_text("INFO")
    page.get_by_role("combobox", name="Level").select_option("ERROR")
    expect(logs).not_to_contain_text("INFO")


def test_roll_back_goes_to_the_new_deployment(tab, stack, people, owned_service):
    token = api_token(stack.api_url, "dev@example.com", PASSWORD)
    deployments = []
    for version in ("v2.0.0", "v2.1.0"):
        status, _, body = http("POST", f"{stack.api_url}/deployments",
                               {"service_id": owned_service["id"], "version": version, "environment": "development"},
                               token=token)
        assert status == 202, body
        deployments.append(_wait_terminal(stack.api_url, token, body["id"]))
    page = tab.page
    page.goto("/login")
    sign_in(page, "dev@example.com", PASSWORD)
    page.goto(f"/deployments/{deployments[1]['id']}")
    expect(page.get_by_text("SUCCESS", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Cancel deployment")).to_have_count(0)
    page.get_by_role("button", name="Roll back").click()
    expect(page).not_to_have_url(re.compile(deployments[1]["id"]))
    expect(page.get_by_role("heading", name=re.compile("checkout-api.*v2.0.0"))).to_be_visible()


def test_an_expired_token_returns_to_login_with_a_message_and_back(tab):
    page = tab.page
    page.goto("/login")
    sign_in(page, "dev@example.com", PASSWORD)
    page.goto("/deployments")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    token = page.evaluate(f"window.sessionStorage.getItem({json.dumps(SESSION_KEY)})")
    assert token, "the portal keeps the signed-in user's token in sessionStorage"
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - 7200, exp=now - 3600)  # signed with the stack's real secret, only expired
    expired = jwt.encode(claims, LOCAL_JWT_SECRET, algorithm="HS256")
    page.evaluate(f"window.sessionStorage.setItem({json.dumps(SESSION_KEY)}, {json.dumps(expired)})")
    page.goto("/deployments")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_text(re.compile("session has expired", re.IGNORECASE))).to_be_visible()
    sign_in(page, "dev@example.com", PASSWORD)
    expect(page).to_have_url(re.compile(r"/deployments$"))


def test_unknown_urls_and_ids_say_not_found(tab):
    page = tab.page
    page.goto("/login")
    sign_in(page)
    page.goto("/no/such/page")
    expect(page.get_by_text("Page not found")).to_be_visible()
    page.get_by_role("link", name=re.compile("home|dashboard", re.IGNORECASE)).first.click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto(f"/services/{uuid.uuid4()}")
    expect(page.get_by_role("navigation")).to_be_visible()
    expect(page.get_by_text(re.compile("not found", re.IGNORECASE)).first).to_be_visible()
    page.goto(f"/deployments/{uuid.uuid4()}")
    expect(page.get_by_text(re.compile("not found", re.IGNORECASE)).first).to_be_visible()


def test_the_catalog_searches_filters_and_sorts_the_whole_catalog_in_a_handful_of_calls(browser, stack, people):
    # 120 services over three owners: more than one page of the API (100 at most), so the oldest
    # ones only show if the catalog reads every page.
    owners = [people["developer"]["id"], people["other"]["id"], people["viewer"]["id"]]
    for index in range(120):
        status, _, body = http("POST", f"{stack.api_url}/services",
                               {"name": f"bulk-{index:03d}", "description": f"bulk service number {index}",
                                "lifecycle": "deprecated" if index % 10 == 0 else "experimental",
                                "tags": ["bulk", f"group-{index % 4}"], "owner_id": owners[index % 3]},
                               token=people["admin_token"])
        assert status == 201, body
    with _new_tab(browser, stack) as tab:
        page = tab.page
        page.goto("/login")
        sign_in(page, "dev@example.com", PASSWORD)
        mark = len(tab.api_calls)
        page.goto("/services")
        expect(page.get_by_role("link", name="bulk-000")).to_be_visible()  # the oldest: on the API's 2nd page
        page.wait_for_load_state("networkidle")
        first_view = tab.calls_since(mark)
        assert len(first_view) <= 8, first_view
        assert sum(call.startswith("GET /people") for call in first_view) <= 2, first_view
        assert not any(re.search(r"/services/[0-9a-f-]{36}", call) for call in first_view), first_view
        expect(page.get_by_role("row").filter(has_text="bulk-001")).to_contain_text("Omar Other")

        search = page.get_by_role("searchbox", name="Search services")
        search.fill("number 7")  # description match, as you type
        expect(page.get_by_role("link", name="bulk-007")).to_be_visible()
        expect(page.get_by_role("link", name="bulk-008")).to_have_count(0)
        search.fill("group-3")  # tag match
        expect(page.get_by_role("link", name="bulk-003")).to_be_visible()
        expect(page.get_by_role("link", name="bulk-004")).to_have_count(0)
        search.fill("")
        page.get_by_role("combobox", name="Lifecycle").select_option("deprecated")
        expect(page.get_by_role("link", name="bulk-010")).to_be_visible()
        expect(page.get_by_role("link", name="bulk-011")).to_have_count(0)
        page.get_by_role("checkbox", name="My services").check()
        expect(page.get_by_role("link", name="bulk-030")).to_be_visible()  # 30 % 3 == 0: Dana's
        expect(page.get_by_role("link", name="bulk-010")).to_have_count(0)  # Omar's
        page.get_by_role("checkbox", name="My services").uncheck()
        page.get_by_role("combobox", name="Lifecycle").select_option("")
        name_header = page.get_by_role("columnheader", name=re.compile("^Name"))
        name_header.get_by_role("button").click()
        first_sorted = page.get_by_role("row").nth(1).get_by_role("link").first.inner_text()
        name_header.get_by_role("button").click()
        assert page.get_by_role("row").nth(1).get_by_role("link").first.inner_text() != first_sorted
        assert tab.problems == []


# Every page of part 1 for its first view: no serious or critical axe-core violation, and what it
# asked the API (written for scripts/bench's report).
PAGES = ["/", "/services", "/services/{service}", "/deployments", "/deployments/{deployment}", "/account",
         "/no/such/page"]


def test_every_page_is_accessible_and_its_first_view_costs_a_handful_of_calls(browser, stack, people, owned_service):
    token = api_token(stack.api_url, "dev@example.com", PASSWORD)
    status, _, body = http("POST", f"{stack.api_url}/deployments",
                           {"service_id": owned_service["id"], "version": "v9.9.9", "environment": "production"},
                           token=token)
    assert status == 202, body
    deployment = _wait_terminal(stack.api_url, token, body["id"])
    violations, calls = {}, {}
    with _new_tab(browser, stack) as tab:
        page = tab.page
        page.goto("/login")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        violations["/login"] = serious_accessibility_violations(page)
        sign_in(page, "dev@example.com", PASSWORD)
        for template in PAGES:
            url = template.format(service=owned_service["id"], deployment=deployment["id"])
            page.goto("about:blank")
            mark = len(tab.api_calls)
            page.goto(url)
            expect(page.get_by_role("heading", level=1).first).to_be_visible()
            page.wait_for_load_state("networkidle")
            calls[template] = tab.calls_since(mark)
            violations[template] = serious_accessibility_violations(page)
        assert tab.problems == []
    CALLS_REPORT.parent.mkdir(exist_ok=True)
    CALLS_REPORT.write_text(json.dumps({page: {"count": len(made), "calls": made} for page, made in calls.items()},
                                       indent=2))
    assert {page: found for page, found in violations.items() if found} == {}
    for page, made in calls.items():
        assert len(made) <= 8, (page, made)


def _wait_terminal(api_url: str, token: str, deployment_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, _, body = http("GET", f"{api_url}/deployments/{deployment_id}", token=token)
        assert status == 200, body
        if body["status"] in ("SUCCESS", "FAILED", "CANCELLED"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"deployment {deployment_id} did not finish")
