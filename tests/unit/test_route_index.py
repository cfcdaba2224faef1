"""The route index names, for every route, the module that declares it: the app registers every
route from it, and a request imports only its route's module."""
from __future__ import annotations

import importlib
import pkgutil

import app
import chalicelib.api
from chalicelib.api.route_index import ROUTE_MODULES
from chalicelib.api.routing import ROUTES


def _declared() -> dict[tuple[str, str], str]:
    modules = [module.name for module in pkgutil.iter_modules(chalicelib.api.__path__)]
    for name in modules:
        importlib.import_module(f"chalicelib.api.{name}")
    return {key: spec.tag for key, spec in ROUTES.items() if spec.tag in modules}


def test_the_index_names_every_declared_route_and_its_module():
    declared = _declared()
    table = "\n".join(f'    ("{method}", "{path}"): "{module}",' for (method, path), module in declared.items())
    assert declared == ROUTE_MODULES, f"chalicelib/api/route_index.py should read:\n{table}"


def test_every_indexed_route_is_registered_on_the_app():
    registered = {(method, path) for path, methods in app.app.routes.items() for method in methods}
    assert registered == set(ROUTE_MODULES)
