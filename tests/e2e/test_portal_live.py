"""The one scaled run of the browser tests: steps take real (half-speed) time, so the deployment
page is seen moving through its steps by itself, then stopping, and a running deployment can be
cancelled from it. ``IDP_STEP_TIME_SCALE=0.5``: a run waits 7 s in all."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import api_token, create_user, deploy_from_service_page, sign_in
from tests.e2e.stack import http, running_stack

pytestmark = pytest.mark.e2e

PASSWORD = "browser-live-password"
STATUS_TEXT = re.compile(r"^(PENDING|RUNNING|SUCCESS|FAILED|CANCELLED)$")


@pytest.fixture(scope="module")
def stack():
    with running_stack("portal-live", portal=True, IDP_STEP_TIME_SCALE="0.5", IDP_DEPLOY_SUCCESS_RATE="100") as running:
        yield running


@pytest.fixture(scope="module")
def service(stack):
    admin = api_token(stack.api_url, "admin@example.com", "e2e-admin-password")
    create_user(stack.api_url, admin, "live@example.com", "developer", "Lee Live", PASSWORD)
    token = api_token(stack.api_url, "live@example.com", PASSWORD)
    status, _, body = http("POST", f"{stack.api_url}/services", {"name": "live-api"}, token=token)
    assert status == 201, body
    return body


def _status(page):
    return page.get_by_text(STATUS_TEXT).first


def test_the_deployment_page_follows_the_steps_by_itself_then_stops_polling(tab, service):
    page = tab.page
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    page.goto("/login")
    sign_in(page, "live@example.com", PASSWORD)
    deploy_from_service_page(page, service["id"], "1.4.2")
    loads_before = len(navigations)
    steps = page.get_by_role("list", name=re.compile("steps", re.IGNORECASE)).get_by_role("listitem")
    expect(_status(page)).to_have_text("RUNNING", timeout=10_000)
    expect(steps.filter(has_text="running")).to_have_count(1, timeout=10_000)
    expect(steps.nth(5)).to_contain_text("pending")
    expect(_status(page)).to_have_text("SUCCESS", timeout=30_000)
    for index in range(6):
        expect(steps.nth(index)).to_contain_text("succeeded")
    assert len(navigations) == loads_before, "the page changed by itself, without a reload"
    expect(page.get_by_role("button", name="Roll back")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel deployment")).to_have_count(0)
    # Over: no more polling of the deployment.
    page.wait_for_timeout(500)
    mark = len(tab.api_calls)
    page.wait_for_timeout(3_500)
    assert [call for call in tab.calls_since(mark) if call.startswith("GET /deployments/")] == []


def test_a_running_deployment_is_cancelled_from_its_page(tab, service):
    page = tab.page
    page.goto("/login")
    sign_in(page, "live@example.com", PASSWORD)
    deploy_from_service_page(page, service["id"], "1.5.0", "development")
    expect(_status(page)).to_have_text(re.compile("PENDING|RUNNING"))
    page.get_by_role("button", name="Cancel deployment").click()
    expect(_status(page)).to_have_text("CANCELLED", timeout=10_000)
    steps = page.get_by_role("list", name=re.compile("steps", re.IGNORECASE)).get_by_role("listitem")
    expect(steps.filter(has_text="skipped")).not_to_have_count(0)
    expect(page.get_by_text(re.compile("Cancelled by Lee Live"))).to_be_visible()


def test_the_service_page_follows_new_log_lines_while_a_deployment_runs(tab, stack, service):
    token = api_token(stack.api_url, "live@example.com", PASSWORD)
    page = tab.page
    page.goto("/login")
    sign_in(page, "live@example.com", PASSWORD)
    status, _, body = http("POST", f"{stack.api_url}/deployments",
                           {"service_id": service["id"], "version": "1.6.0", "environment": "staging"}, token=token)
    assert status == 202, body
    page.goto(f"/services/{service['id']}")
    logs = page.get_by_role("region", name=re.compile("^Logs", re.IGNORECASE))
    expect(logs).to_be_visible()
    loaded = page.evaluate("performance.getEntriesByType('navigation').length")
    # The last step's lines are written seconds after the page loaded: they arrive by themselves.
    expect(logs).to_contain_text("Health check", timeout=30_000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == loaded
    expect(page.get_by_role("region", name="staging")).to_contain_text("SUCCESS", timeout=15_000)
