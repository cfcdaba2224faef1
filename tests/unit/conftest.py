"""Unit tests need no emulator. Run alone (``pytest tests/unit``) they run with moto not importable,
so a test, or code it reaches, that needs AWS fails loudly instead of quietly using a fake."""
from __future__ import annotations

import importlib.abc
import sys
from pathlib import Path

UNIT = Path(__file__).resolve().parent


class _NoMoto(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == "moto" or fullname.startswith("moto."):
            raise ImportError(f"tests/unit runs without moto, and {fullname} was imported")
        return None


def pytest_configure(config) -> None:
    paths = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args]
    if paths and all(path == UNIT or UNIT in path.parents for path in paths):
        loaded = sorted(name for name in sys.modules if name == "moto" or name.startswith("moto."))
        assert not loaded, f"moto was imported before the unit tests started: {loaded[:3]}"
        sys.meta_path.insert(0, _NoMoto())
