"""The portal's local server does what CloudFront does on AWS: the app's files, index.html for
every app URL, /api/* to the API with the prefix stripped, and the security headers."""
from __future__ import annotations

import gzip
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import portal_server
import pytest
from devstack import free_port


class _RecordingApi(BaseHTTPRequestHandler):
    """Stands in for the API: answers 201 and records what reached it."""

    seen: list[dict] = []

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.seen.append({"method": self.command, "path": self.path, "body": body,
                          "authorization": self.headers.get("Authorization")})
        payload = json.dumps({"ok": True}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Location", "/services/1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer


def _serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture()
def portal(tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>IDP</title><div id=root></div>")
    (dist / "assets" / "app-1234.js").write_text("console.log('app');" * 50)
    (tmp_path / "secret.txt").write_text("outside dist")
    _RecordingApi.seen = []
    api = _serve(ThreadingHTTPServer(("127.0.0.1", free_port()), _RecordingApi))
    server = _serve(portal_server.make_server(free_port(), f"http://127.0.0.1:{api.server_address[1]}", dist))
    yield f"http://127.0.0.1:{server.server_address[1]}", api
    for running in (server, api):
        running.shutdown()
        running.server_close()


def _get(url, headers=None, method="GET", data=None):
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_every_app_url_gets_index_html_with_the_security_headers(portal):
    base, _ = portal
    for path in ("/", "/services/7f0c6c9e-0000-4000-8000-000000000000", "/deployments?status=RUNNING", "/nope"):
        status, headers, body = _get(base + path)
        assert status == 200, path
        assert b'<div id=root>' in body
        assert headers["Cache-Control"] == "no-cache"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"


def test_assets_are_compressed_cached_forever_and_a_missing_one_is_404(portal):
    base, _ = portal
    status, headers, body = _get(base + "/assets/app-1234.js", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body).startswith(b"console.log")
    assert "immutable" in headers["Cache-Control"]
    assert headers["Content-Type"].startswith("text/javascript") or headers["Content-Type"].startswith(
        "application/javascript")
    assert _get(base + "/assets/app-9999.js")[0] == 404


def test_no_file_outside_dist_is_served(portal):
    base, _ = portal
    status, _, body = _get(base + "/../secret.txt")
    assert b"outside dist" not in body
    status, _, body = _get(base + "/%2e%2e/secret.txt")
    assert b"outside dist" not in body


def test_api_calls_are_forwarded_with_the_prefix_stripped(portal):
    base, api = portal
    status, headers, body = _get(base + "/api/services?lifecycle=production", method="POST",
                                 headers={"Authorization": "Bearer t0ken", "Content-Type": "application/json"},
                                 data=b'{"name": "payments"}')
    assert status == 201
    assert headers["Location"] == "/services/1"
    assert json.loads(body) == {"ok": True}
    assert _RecordingApi.seen == [{"method": "POST", "path": "/services?lifecycle=production",
                                   "body": '{"name": "payments"}', "authorization": "Bearer t0ken"}]
    assert _get(base + "/api")[0] == 201 and _RecordingApi.seen[-1]["path"] == "/"
    # /apiary is an app URL, not the API
    assert b"<div id=root>" in _get(base + "/apiary")[2]


def test_an_api_that_does_not_answer_is_a_plain_502_as_from_cloudfront(portal):
    base, api = portal
    api.shutdown()
    api.server_close()
    status, headers, body = _get(base + "/api/health")
    assert status == 502
    assert headers["Content-Type"] == "text/plain"
    assert b"not answering" in body


def test_writes_outside_the_api_are_refused(portal):
    base, _ = portal
    assert _get(base + "/services", method="POST", data=b"{}")[0] == 405
