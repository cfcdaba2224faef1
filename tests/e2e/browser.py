"""Driving the portal in real headless Chromium (Debian's package, through Playwright) against a
real local stack: moto server, ``chalice local`` and the built portal served as ``scripts/dev``
serves it. Controls are found the way a person or a screen reader finds them: by role and name.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Request, expect, sync_playwright

from tests.e2e.stack import E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, http

# Without the background-networking flags Chromium's own connections are refused by this
# machine's closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SESSION_KEY = "idp.portal.token"  # where the portal keeps the signed-in user's token (sessionStorage)
_AXE = Axe()


def chromium_path() -> str:
    path = os.environ.get("IDP_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise RuntimeError("the browser tests need Debian's chromium (scripts/test installs it as root: "
                           "apt-get install chromium), or IDP_CHROMIUM pointing at a Chromium binary")
    return path


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """One browser tab with what it asked the API and what went wrong in it."""

    page: Page
    api_calls: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def calls_since(self, mark: int) -> list[str]:
        return self.api_calls[mark:]


@contextlib.contextmanager
def visit(browser: Browser, base_url: str) -> Iterator[Visit]:
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    tab = Visit(page)

    def on_request(request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.path.startswith("/api/"):
            tab.api_calls.append(f"{request.method} {parts.path[4:]}" + (f"?{parts.query}" if parts.query else ""))
        elif parts.netloc != urlsplit(base_url).netloc and not request.url.startswith("data:"):
            tab.problems.append(f"a request left the portal's origin: {request.url}")

    page.on("request", on_request)
    page.on("pageerror", lambda error: tab.problems.append(f"uncaught error: {error}"))
    page.on("console", lambda message: tab.problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text else None)
    try:
        yield tab
    finally:
        context.close()


def sign_in(page: Page, email: str = E2E_ADMIN_EMAIL, password: str = E2E_ADMIN_PASSWORD) -> None:
    """Sign in through the form of /login (from wherever the app sent us) and wait for the app."""
    if not page.url.rstrip("/").endswith("/login") and "/login" not in page.url:
        page.goto("/login")
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def deploy_from_service_page(page: Page, service_id: str, version: str, environment: str | None = None) -> None:
    """Press Deploy on the service's page, fill the form, start it and land on the deployment."""
    page.goto(f"/services/{service_id}")
    page.get_by_role("button", name="Deploy").click()
    page.get_by_role("textbox", name="Version").fill(version)
    if environment:
        page.get_by_role("combobox", name="Environment").select_option(environment)
    page.get_by_role("button", name="Start deployment").click()
    expect(page).to_have_url(re.compile(r"/deployments/[0-9a-f-]{36}$"))


def serious_accessibility_violations(page: Page) -> list[str]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    results = _AXE.run(page)
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} — "
            f"{[node['target'] for node in violation['nodes']][:3]}"
            for violation in results.response["violations"] if violation["impact"] in ("serious", "critical")]


def api_token(api_url: str, email: str, password: str) -> str:
    status, _, body = http("POST", f"{api_url}/auth/login", {"email": email, "password": password})
    assert status == 200, body
    return body["access_token"]


def create_user(api_url: str, admin_token: str, email: str, role: str, name: str, password: str) -> dict:
    status, _, body = http("POST", f"{api_url}/users", {"email": email, "name": name, "password": password,
                                                          "role": role}, token=admin_token)
    assert status == 201, body
    return body
