"""scripts/dev builds the portal only when its sources changed, and says plainly when Node.js is
missing instead of failing somewhere inside npm."""
from __future__ import annotations

import portal_build
import pytest


def test_the_source_digest_follows_the_sources_and_ignores_what_npm_and_vite_write(tmp_path, monkeypatch):
    monkeypatch.setattr(portal_build, "PORTAL", tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "App.tsx").write_text("export const App = 1;")
    (tmp_path / "package-lock.json").write_text("{}")
    before = portal_build.source_digest()
    for generated in ("node_modules/react/index.js", "dist/index.html", "dist/.source.sha256"):
        (tmp_path / generated).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / generated).write_text("written by npm or vite")
    assert portal_build.source_digest() == before
    (tmp_path / "src" / "App.tsx").write_text("export const App = 2;")
    assert portal_build.source_digest() != before


def test_without_node_it_says_what_to_install_or_how_to_run_without_the_portal(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(portal_build.PortalBuildError, match="Node.js 20 or newer.*IDP_PORTAL=off"):
        portal_build.npm()
