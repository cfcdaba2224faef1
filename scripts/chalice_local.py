"""``chalice local``, with one difference: methods that Python's ``http.server`` has no handler for
(TRACE, QUERY, ...) reach the application like any other, which answers 405 with ``Allow`` as
problem+json, instead of ``http.server``'s HTML page with a 501 (a 5xx that no client input should
cause). Everything else is the real ``chalice local`` CLI.

    python scripts/chalice_local.py local --host 127.0.0.1 --port 8000 --stage local --no-autoreload
"""
from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

EXTRA_METHODS = ("TRACE", "QUERY", "CONNECT", "PROPFIND", "LINK", "UNLINK")

for _method in EXTRA_METHODS:
    setattr(local.ChaliceRequestHandler, f"do_{_method}", local.ChaliceRequestHandler._generic_handle)

if __name__ == "__main__":
    sys.exit(main())
