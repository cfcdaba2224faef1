"""The portal's figures for scripts/bench, measured in Debian's chromium against a real local
stack serving the built portal as ``scripts/dev`` does:

- the JavaScript and CSS that a first visit reaching ``/services`` (and, for part 2, ``/flags``)
  downloads (bytes on the wire, gzip, as the portal server and CloudFront send them), against the
  150 KB aim;
- the API calls the first view of each page makes (the browser tests' network log);
- Lighthouse's performance and accessibility scores for ``/login``, ``/services``,
  ``/services/{id}``, ``/flags/{key}`` and ``/audit`` (npm ``lighthouse``, installed into ``out/bench-tools`` on first use, with
  ``CHROME_PATH`` set to that chromium), against the aim of 95 for both.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from urllib.parse import urlsplit

from bench.core import ROOT

TOOLS = ROOT / "out" / "bench-tools"
LIGHTHOUSE_VERSION = "13.5.0"
SIZE_AIM_KB = 150
SCORE_AIM = 95
PASSWORD = "bench-portal-password"


def _lighthouse(portal_url: str, email: str, paths: list[str]) -> dict:
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeError("npm is needed for Lighthouse")
    if not (TOOLS / "node_modules" / "lighthouse").is_dir():
        TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--loglevel=error",
                        f"lighthouse@{LIGHTHOUSE_VERSION}"], check=True, capture_output=True, timeout=600)
    # An ES module finds its packages next to itself, so the script runs from the tools folder.
    script = TOOLS / "lighthouse.mjs"
    shutil.copyfile(ROOT / "bench" / "lighthouse.mjs", script)
    from tests.e2e.browser import chromium_path

    env = {**os.environ, "CHROME_PATH": chromium_path()}
    run = subprocess.run(["node", str(script), portal_url, email, PASSWORD, *paths], env=env, capture_output=True,
                         text=True, timeout=900)
    if run.returncode != 0:
        raise RuntimeError(f"lighthouse failed: {run.stderr[-1500:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _first_visit_bytes(browser, portal_url: str, email: str, path: str = "/services",
                       ready: tuple[str, str] = ("searchbox", "Search services")) -> dict:
    """JS and CSS over the wire from a fresh browser to a signed-in ``path`` (showing ``ready``)."""
    from playwright.sync_api import expect

    from tests.e2e.browser import sign_in, visit

    sizes: dict[str, int] = {}
    with visit(browser, portal_url) as tab:
        def on_response(response):
            kind = response.request.resource_type
            if kind in ("script", "stylesheet"):
                path = urlsplit(response.url).path
                # The body as sent: the portal server's gzip, with its Content-Length (Playwright's
                # own size figures are unreliable for responses of an earlier page).
                sizes[path] = int(response.header_value("content-length") or 0)
                if response.header_value("content-encoding") != "gzip":
                    raise RuntimeError(f"{path} was sent uncompressed")

        tab.page.on("response", on_response)
        tab.page.goto(path)  # signed out: the app sends the visitor to /login, then back
        expect(tab.page).to_have_url(re.compile(r"/login"))
        sign_in(tab.page, email, PASSWORD)
        expect(tab.page.get_by_role(ready[0], name=ready[1])).to_be_visible()
        tab.page.wait_for_load_state("networkidle")
    js = sum(size for path, size in sizes.items() if path.endswith(".js"))
    css = sum(size for path, size in sizes.items() if path.endswith(".css"))
    return {"js_gzip_kb": round(js / 1024, 1), "css_gzip_kb": round(css / 1024, 1),
            "total_gzip_kb": round((js + css) / 1024, 1), "aim_kb": SIZE_AIM_KB, "files": sizes}


def _calls_per_first_view(browser, portal_url: str, email: str, urls: dict[str, str]) -> dict:
    from playwright.sync_api import expect

    from tests.e2e.browser import sign_in, visit

    calls = {}
    with visit(browser, portal_url) as tab:
        sign_in(tab.page, email, PASSWORD)
        for name, url in urls.items():
            tab.page.goto("about:blank")
            mark = len(tab.api_calls)
            tab.page.goto(url)
            expect(tab.page.get_by_role("heading", level=1).first).to_be_visible()
            tab.page.wait_for_load_state("networkidle")
            made = tab.calls_since(mark)
            calls[name] = {"count": len(made), "calls": made}
    return calls


def measure(results, log, tiny: bool) -> None:
    from devstack import DevStack, free_port

    from tests.e2e.browser import chromium
    from tests.e2e.stack import http

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.pop("IDP_STATE_MACHINE_ARN", None)
    env.pop("IDP_ALERTS_TOPIC_ARN", None)  # the other bench stack's topic: this stack makes its own
    env.update({"IDP_BCRYPT_ROUNDS": "4", "IDP_LOG_LEVEL": "WARNING", "IDP_STEP_TIME_SCALE": "0",
                "IDP_ADMIN_EMAIL": "admin@example.com", "IDP_ADMIN_PASSWORD": PASSWORD,
                "IDP_DEPLOY_SUCCESS_RATE": "100"})
    email = "admin@example.com"
    stack = DevStack(api_port=free_port(), emulator_port=free_port(), portal_port=free_port(),
                     table_prefix="idp-bench-portal", env=env, log=lambda message: None)
    with stack:
        status, _, login = http("POST", f"{stack.api_url}/auth/login", {"email": email, "password": PASSWORD})
        token = login["access_token"]
        services = []
        for index in range(10 if tiny else 100):  # a catalog of a real size: one full API page
            status, _, body = http("POST", f"{stack.api_url}/services",
                                   {"name": f"bench-service-{index:03d}", "description": f"service {index}",
                                    "tags": ["bench"]}, token=token)
            services.append(body)
        status, _, deployment = http("POST", f"{stack.api_url}/deployments",
                                     {"service_id": services[0]["id"], "version": "v1"}, token=token)
        status, _, flag = http("POST", f"{stack.api_url}/flags",
                               {"key": "bench-flag", "description": "A 50% rollout in staging", "enabled": True,
                                "environments": ["staging"], "rollout_percentage": 50}, token=token)
        urls = {"/": "/", "/services": "/services", "/services/{id}": f"/services/{services[0]['id']}",
                "/deployments": "/deployments", "/deployments/{id}": f"/deployments/{deployment['id']}",
                "/account": "/account", "/flags": "/flags", "/flags/{key}": f"/flags/{flag['key']}",
                "/audit": "/audit", "/alerts": "/alerts", "/users": "/users", "/sdk-keys": "/sdk-keys"}
        log("portal: first-visit size and API calls per page (chromium)")
        with chromium() as browser:
            size = _first_visit_bytes(browser, stack.portal_url, email)
            flags_size = _first_visit_bytes(browser, stack.portal_url, email, "/flags", ("searchbox", "Search flags"))
            calls = _calls_per_first_view(browser, stack.portal_url, email, urls)
        log("portal: lighthouse")
        paths = ["/login"] if tiny else ["/login", "/services", f"/services/{services[0]['id']}",
                                         f"/flags/{flag['key']}", "/audit"]
        scores = _lighthouse(stack.portal_url, email, paths)
    templates = {f"/services/{services[0]['id']}": "/services/{id}", f"/flags/{flag['key']}": "/flags/{key}"}
    scores = {templates.get(path, path): value for path, value in scores.items()}
    results.put("portal", {"first_visit_services": size, "first_visit_flags": flags_size,
                           "api_calls_first_view": calls, "lighthouse": scores,
                           "lighthouse_version": LIGHTHOUSE_VERSION, "score_aim": SCORE_AIM,
                           "lighthouse_settings": "defaults: mobile form factor, simulated throttling"})
