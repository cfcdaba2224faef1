"""Serve the built portal the way CloudFront serves it on AWS: the files of ``portal/dist``, the
app's ``index.html`` for every other URL (so a deep link or a reload works), and ``/api/*``
forwarded to the API with the ``/api`` prefix stripped (``/api/services`` -> ``GET /services``).

    python scripts/portal_server.py --port 3000 --api http://127.0.0.1:8000

``scripts/dev`` starts it; the browser tests start it through ``DevStack`` too, so what they
drive is what a person gets locally.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import http.client
import json
import mimetypes
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from package_stack import IMMUTABLE

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "portal" / "dist"
API_PREFIX = "/api"

TEMPLATE = ROOT / "infrastructure" / "template.json"
RESPONSE_HEADERS_POLICY = "AWS::CloudFront::ResponseHeadersPolicy"


def security_headers(template_path: Path = TEMPLATE) -> dict[str, str]:
    """The headers CloudFront's response headers policy sets on AWS, read from the template (their
    one copy), so the browser tests prove the built app runs under them (no inline script or
    style, same-origin calls only). HSTS is left out: browsers ignore it over plain HTTP, and on a
    local HTTPS server it would pin localhost to HTTPS for every other project."""
    template = json.loads(template_path.read_text())
    policies = [res for res in template["Resources"].values() if res["Type"] == RESPONSE_HEADERS_POLICY]
    if len(policies) != 1:
        raise RuntimeError(f"{template_path} must hold exactly one {RESPONSE_HEADERS_POLICY}, found {len(policies)}")
    config = policies[0]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    return {
        "Content-Security-Policy": config["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "X-Content-Type-Options": "nosniff",  # CloudFront's ContentTypeOptions sends only this value
        "X-Frame-Options": config["FrameOptions"]["FrameOption"],
        "Referrer-Policy": config["ReferrerPolicy"]["ReferrerPolicy"],
    }


SECURITY_HEADERS = security_headers()
# Request headers that belong to one connection, not to the request (RFC 9110 section 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "host", "accept-encoding", "content-length"}
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


@functools.lru_cache(maxsize=256)
def _file_body(path: Path, mtime_ns: int, compressed: bool) -> bytes:
    data = path.read_bytes()
    return gzip.compress(data, compresslevel=6, mtime=0) if compressed else data


class PortalHandler(BaseHTTPRequestHandler):
    server_version = "idp-portal"
    protocol_version = "HTTP/1.1"
    dist: Path = DIST
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # the API logs every call; the file requests would only be noise

    # -- routing ---------------------------------------------------------------------------
    def _is_api(self) -> bool:
        path = urlsplit(self.path).path
        return path == API_PREFIX or path.startswith(API_PREFIX + "/")

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self._is_api():
            self._forward()
        else:
            self._serve_file(head=False)

    def do_HEAD(self):  # noqa: N802
        if self._is_api():
            self._forward()
        else:
            self._serve_file(head=True)

    def do_POST(self):  # noqa: N802
        self._forward_or_refuse()

    def do_PUT(self):  # noqa: N802
        self._forward_or_refuse()

    def do_PATCH(self):  # noqa: N802
        self._forward_or_refuse()

    def do_DELETE(self):  # noqa: N802
        self._forward_or_refuse()

    def do_OPTIONS(self):  # noqa: N802
        self._forward_or_refuse()

    def _forward_or_refuse(self):
        if self._is_api():
            self._forward()
        else:
            self._send(405, b"", "text/plain", extra={"Allow": "GET, HEAD"})

    # -- the portal's files --------------------------------------------------------------------
    def _serve_file(self, head: bool) -> None:
        url_path = urlsplit(self.path).path
        relative = url_path.lstrip("/")
        candidate = (self.dist / relative).resolve() if relative else None
        inside = candidate is not None and self.dist.resolve() in candidate.parents
        if inside and candidate.is_file():
            path = candidate
        elif url_path.startswith("/assets/"):
            # A missing hashed asset is a 404, not the app's HTML under a script's URL.
            self._send(404, b"not found", "text/plain")
            return
        else:
            path = self.dist / "index.html"  # every app URL: the router decides what it shows
            if not path.is_file():
                self._send(503, b"the portal is not built: run scripts/dev", "text/plain")
                return
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        compressed = ("gzip" in self.headers.get("Accept-Encoding", "")
                      and content_type.startswith(COMPRESSIBLE))
        body = _file_body(path, path.stat().st_mtime_ns, compressed)
        # Hashed assets never change under their name; index.html must be checked every time.
        cache = IMMUTABLE if url_path.startswith("/assets/") else "no-cache"
        extra = {"Cache-Control": cache, "Vary": "Accept-Encoding", **SECURITY_HEADERS}
        if compressed:
            extra["Content-Encoding"] = "gzip"
        self._send(200, body, content_type, extra=extra, head=head)

    # -- /api/* -> the API ---------------------------------------------------------------------
    def _forward(self) -> None:
        target = self.path[len(API_PREFIX):] or "/"
        if not target.startswith("/"):
            target = "/" + target
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        connection = http.client.HTTPConnection(self.api_host, self.api_port, timeout=60)
        try:
            connection.request(self.command, target, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError as error:
            # What CloudFront answers when its origin does not: a plain 502 page, not the API's problem+json,
            # so the portal tells the person the API is unreachable and offers a retry.
            self._send(502, f"502 Bad Gateway: the API is not answering ({error})".encode(), "text/plain")
            return
        finally:
            connection.close()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None,
              head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A browser that navigates away closes its connections mid-answer: not an error of ours.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def make_server(port: int, api_url: str, dist: Path = DIST, host: str = "127.0.0.1") -> PortalServer:
    api = urlsplit(api_url)
    handler = type("BoundPortalHandler", (PortalHandler,), {
        "dist": dist, "api_host": api.hostname or "127.0.0.1", "api_port": api.port or 80})
    return PortalServer((host, port), handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--api", default="http://127.0.0.1:8000", help="where /api/* goes")
    parser.add_argument("--dist", type=Path, default=DIST)
    args = parser.parse_args(argv)
    try:
        server = make_server(args.port, args.api, args.dist)
    except OSError as error:
        print(f"portal: cannot listen on 127.0.0.1:{args.port}: {error.strerror}", file=sys.stderr)
        return 1

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
