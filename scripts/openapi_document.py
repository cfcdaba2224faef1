"""Write the API's OpenAPI document (exactly what ``GET /openapi.json`` answers) as JSON, so that the
portal's typed client (``portal/src/api/schema.d.ts``, ``npm run gen:api``) is generated from the code.

    scripts/openapi-document                 # to stdout
    scripts/openapi-document --output FILE
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The document depends on the route table only; importing the app still reads the settings, which
# insist on a signing secret. Nothing is signed here, so any well-formed one will do.
PLACEHOLDER_SECRET = "openapi-document-only-no-token-is-signed"


def document_json() -> str:
    os.environ.setdefault("IDP_JWT_SECRET", PLACEHOLDER_SECRET)
    sys.path.insert(0, str(ROOT))
    import app  # noqa: F401  (registers every blueprint's routes)
    from chalicelib.api.openapi import build_document

    return json.dumps(build_document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, help="write to this file instead of stdout")
    args = parser.parse_args(argv)
    text = document_json()
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
