"""``chalice local``, with two differences:

- methods that Python's ``http.server`` has no handler for (TRACE, QUERY, ...) reach the application
  like any other, which answers 405 with ``Allow`` as problem+json, instead of ``http.server``'s HTML
  page with a 501 (a 5xx that no client input should cause);
- a 204 or 304 leaves without a body, ``Content-Type`` or ``Content-Length``, as HTTP says and as
  the application shaped it (``chalice local`` would add ``Content-Type: application/json`` and
  ``Content-Length: 0`` to any answer whose body is a string, even an empty one).

Everything else is the real ``chalice local`` CLI.

    python scripts/chalice_local.py local --host 127.0.0.1 --port 8000 --stage local --no-autoreload
"""
from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

EXTRA_METHODS = ("TRACE", "QUERY", "CONNECT", "PROPFIND", "LINK", "UNLINK")

NO_BODY_STATUSES = (204, 304)

for _method in EXTRA_METHODS:
    setattr(local.ChaliceRequestHandler, f"do_{_method}", local.ChaliceRequestHandler._generic_handle)

_send_http_response = local.ChaliceRequestHandler._send_http_response


def _send_without_body_when_none_is_allowed(self, code, headers, body):
    if code not in NO_BODY_STATUSES:
        return _send_http_response(self, code, headers, body)
    self.send_response(code)
    self._send_headers({name: value for name, value in headers.items()
                        if name.lower() not in ("content-type", "content-length")})
    return None


local.ChaliceRequestHandler._send_http_response = _send_without_body_when_none_is_allowed

if __name__ == "__main__":
    sys.exit(main())
