"""End-to-end fixtures: the browser tests drive one Chromium per module, a fresh tab (its own
context) per test, on the module's ``stack`` fixture serving the portal."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def browser():
    from tests.e2e.browser import chromium

    with chromium() as running:
        yield running


@pytest.fixture()
def tab(browser, stack):
    from tests.e2e.browser import visit

    with visit(browser, stack.portal_url) as opened:
        yield opened
        # Every test also proves the built app runs under the CSP and stays on its own origin.
        assert opened.problems == []
