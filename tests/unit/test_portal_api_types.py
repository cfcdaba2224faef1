"""The portal's typed API client is generated from this app's own OpenAPI document: the checked-in
``portal/src/api/schema.d.ts`` must be what ``npm run gen:api`` makes of the current document."""
from __future__ import annotations

import subprocess
from pathlib import Path

import openapi_document

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"
GENERATOR = PORTAL / "node_modules" / ".bin" / "openapi-typescript"
CHECKED_IN = PORTAL / "src" / "api" / "schema.d.ts"


def test_the_portal_api_types_match_the_openapi_document(tmp_path):
    assert GENERATOR.exists(), (
        f"{GENERATOR} is missing: install the portal's packages first (cd portal && npm ci)"
    )
    document = tmp_path / "openapi.json"
    document.write_text(openapi_document.document_json(), encoding="utf-8")
    generated = tmp_path / "schema.d.ts"
    subprocess.run([str(GENERATOR), str(document), "--output", str(generated)], cwd=PORTAL, check=True,
                   capture_output=True, timeout=120)
    assert generated.read_text(encoding="utf-8") == CHECKED_IN.read_text(encoding="utf-8"), (
        "portal/src/api/schema.d.ts is stale: run `npm run gen:api` in portal/ and commit the result"
    )
