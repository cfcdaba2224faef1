"""The route table and the HTTP edge: every route is declared here through :func:`route`, with its
minimum role in one visible place. The middleware authorizes from this table, the OpenAPI document
is built from it, and :func:`route` itself parses what the route declares (path ids, the JSON body,
the query string) and hands the handler typed values, so a route cannot exist without an access
rule or documentation, and a handler cannot read input its route does not declare."""
from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalice import Response

from chalicelib.api import http
from chalicelib.api import query as queries
from chalicelib.api.problems import ProtocolErrors, error_response
from chalicelib.api.route_index import ROUTE_MODULES

PUBLIC = "public"
VIEWER = "viewer"
DEVELOPER = "developer"
ADMIN = "admin"
ACCESS_LEVELS = (PUBLIC, VIEWER, DEVELOPER, ADMIN)

# What a handler may ask for besides the route's path parameters, ``body`` and ``query``.
CONTEXT_PARAMETERS = ("caller", "request")


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    access: str
    sdk_key: bool
    summary: str
    tag: str
    operation_id: str
    # The pydantic model of the JSON body, or ``"module:Name"`` of one, imported on first use: a
    # module whose reads must not import pydantic names its models so (see ``body``).
    body_model: Any = None
    query: Any = None  # the query string's dataclass (chalicelib.api.query)
    # The pydantic model of the success body (None: no body), or ``"module:Name"`` of one: the
    # response models only document the route, so a route whose module must not import pydantic
    # (/health, the reads) names them so, imported when the document or a test reads them.
    response_model: Any = None
    status: int = 200
    errors: tuple[int, ...] = ()
    headers: dict = field(default_factory=dict)  # extra documented response headers
    request_headers: dict = field(default_factory=dict)  # documented request headers
    description: str = ""
    # Documented responses that are not problem+json (a protocol's own error shape such as OFREP's,
    # or a 304): status -> pydantic model of an application/json body, or None for no body.
    response_models: dict = field(default_factory=dict)
    # The path parameter naming a resource with an owner (``owner_id``): below admin, only its owner may
    # call the route (the domain enforces it; the document and the security suite read it from here).
    owner: str = ""
    # The SDK key may also come in ``X-API-Key`` (OFREP's ApiKeyAuth), not only as a Bearer token.
    api_key_header: bool = False
    # An empty body is read as ``{}`` (a protocol that allows one, such as OFREP).
    body_optional: bool = False
    # An action that takes no body: an empty body or ``{}``, anything else is a 400.
    empty_body: bool = False
    # How each path parameter is read (``*_id``: a canonical UUID, else a 404).
    path_params: Mapping[str, Callable[[str], str]] = field(default_factory=dict)
    # The route's own error shape (see chalicelib.api.problems); None: problem+json.
    protocol_errors: ProtocolErrors | None = None

    @property
    def body(self) -> Any:
        return _model(self.body_model)

    @property
    def response(self) -> Any:
        return _model(self.response_model)

    @property
    def responses(self) -> dict:
        return {status: _model(model) for status, model in self.response_models.items()}


def _model(model: Any) -> Any:
    return _named_model(model) if isinstance(model, str) else model


@functools.cache
def _named_model(reference: str) -> Any:
    # Resolved once: a write's every request reads ``spec.body``.
    module, name = reference.split(":")
    return getattr(importlib.import_module(module), name)


RouteKey = tuple[str, str]
# What serves a route: the request, then its path parameters.
Serve = Callable[..., Response]


class RouteTable(Mapping[RouteKey, RouteSpec]):
    """Every route's spec. The keys are known without importing the route modules (from
    ``route_index``); looking a route up imports the module that declares it, so a cold start pays
    only for the route it serves, and walking the whole table imports every module."""

    def __init__(self) -> None:
        self._specs: dict[RouteKey, RouteSpec] = {}
        self._serves: dict[RouteKey, Serve] = {}

    def _load(self, key: RouteKey) -> None:
        if key not in self._specs and key in ROUTE_MODULES:
            importlib.import_module(f"chalicelib.api.{ROUTE_MODULES[key]}")

    def __getitem__(self, key: RouteKey) -> RouteSpec:
        self._load(key)
        return self._specs[key]

    def __contains__(self, key: object) -> bool:
        return key in ROUTE_MODULES or key in self._specs

    def __iter__(self) -> Iterator[RouteKey]:
        return iter({**dict.fromkeys(ROUTE_MODULES), **dict.fromkeys(self._specs)})

    def __len__(self) -> int:
        return len(ROUTE_MODULES.keys() | self._specs.keys())

    def add(self, key: RouteKey, spec: RouteSpec, serve: Serve) -> None:
        if key in self._specs:
            raise ValueError(f"route {key[0]} {key[1]} declared twice")
        self._specs[key] = spec
        self._serves[key] = serve

    def serve(self, key: RouteKey) -> Serve:
        self._load(key)
        return self._serves[key]


ROUTES = RouteTable()


def register_routes(app) -> None:
    """Register every route of ``route_index`` on the Chalice app, each importing the module that
    declares it on its first request."""
    for method, path in ROUTE_MODULES:
        app.route(path, methods=[method])(_view_importing_its_module(app, (method, path)))


def _view_importing_its_module(app, key: RouteKey) -> Callable[..., Response]:
    def view(**path_values: str) -> Response:
        return ROUTES.serve(key)(app.current_request, **path_values)

    view.__name__ = key[0].lower() + re.sub(r"\W+", "_", key[1]).rstrip("_")
    return view


def _path_parsers(path: str, declared: Mapping[str, Callable[[str], str]]) -> dict[str, Callable[[str], str]]:
    parsers = {}
    for name in re.findall(r"{(\w+)}", path):
        if name in declared:
            parsers[name] = declared[name]
        elif name.endswith("_id"):
            parsers[name] = http.path_id(name.removesuffix("_id").replace("_", " "))
        else:
            raise ValueError(f"{path}: say how the path parameter {name} is read (path_params)")
    if unknown := set(declared) - set(parsers):
        raise ValueError(f"{path}: path_params {sorted(unknown)} are not parameters of the path")
    return parsers


def _check_handler(view: Callable, spec: RouteSpec, parsers: Mapping[str, Any]) -> set[str]:
    """The handler takes exactly what the route parses (plus, if it wants, the caller and the
    request): a body or query the route does not declare cannot be read, nor a declared one ignored."""
    wanted = set(inspect.signature(view).parameters)
    parsed = set(parsers) | {name for name, declared in (("body", spec.body_model), ("query", spec.query))
                             if declared is not None}
    if missing := parsed - wanted:
        raise ValueError(f"{view.__name__} must take {sorted(missing)}: its route {spec.path} parses them")
    if unknown := wanted - parsed - set(CONTEXT_PARAMETERS):
        raise ValueError(f"{view.__name__} takes {sorted(unknown)}, which its route {spec.path} does not declare")
    return wanted


def _endpoint(view: Callable, spec: RouteSpec) -> Serve:
    parsers = _path_parsers(spec.path, spec.path_params)
    wanted = _check_handler(view, spec, parsers)

    @functools.wraps(view)
    def endpoint(request, **path_values: str) -> Response:
        try:
            arguments: dict[str, Any] = {name: parse(path_values[name]) for name, parse in parsers.items()}
            if spec.empty_body:
                from chalicelib.api.schemas import EmptyBody

                http.json_body(request, EmptyBody, optional=True)
            if spec.body_model is not None:
                arguments["body"] = http.json_body(request, spec.body, optional=spec.body_optional)
            if spec.query is not None:
                arguments["query"] = http.query(request, spec.query)
            if "caller" in wanted:
                arguments["caller"] = http.caller(request)
            if "request" in wanted:
                arguments["request"] = request
            return view(**arguments)
        except Exception as error:
            answer = error_response(error, http.request_id(request), protocol_errors=spec.protocol_errors,
                                    path_params=path_values)
            if answer is None:
                raise  # no error of ours: the middleware answers a clean 500
            return answer

    return endpoint


def route(blueprint, path: str, method: str, *, access: str, summary: str, sdk_key: bool = False,
          body=None, query=None, response=None, status: int = 200, errors: tuple[int, ...] = (),
          headers: dict | None = None, request_headers: dict | None = None,
          description: str = "", responses: dict | None = None, owner: str = "",
          api_key_header: bool = False, body_optional: bool = False, empty_body: bool = False,
          path_params: Mapping[str, Callable[[str], str]] | None = None,
          protocol_errors: ProtocolErrors | None = None) -> Callable:
    if access not in ACCESS_LEVELS:
        raise ValueError(f"unknown access level {access}")
    if api_key_header and not sdk_key:
        raise ValueError(f"{path}: X-API-Key carries an SDK key, so the route must accept SDK keys")
    if owner and f"{{{owner}}}" not in path:
        raise ValueError(f"owner {owner} is not a parameter of {path}")
    if body_optional and body is None or empty_body and body is not None:
        raise ValueError(f"{path}: body_optional needs a body model; empty_body refuses one")
    if query is not None:
        queries.parameters(query)  # refuses a query dataclass field not declared with query.param()

    def register(view: Callable) -> Callable:
        key = (method, path)
        spec = RouteSpec(
            method=method, path=path, access=access, sdk_key=sdk_key, summary=summary,
            tag=blueprint._import_name.rsplit(".", 1)[-1], operation_id=view.__name__,
            body_model=body, query=query, response_model=response, status=status, errors=tuple(errors),
            headers=headers or {}, request_headers=request_headers or {}, description=description,
            response_models=responses or {}, owner=owner, api_key_header=api_key_header,
            body_optional=body_optional, empty_body=empty_body, path_params=dict(path_params or {}),
            protocol_errors=protocol_errors,
        )
        endpoint = _endpoint(view, spec)  # refuses a handler that does not fit its route
        ROUTES.add(key, spec, endpoint)  # refuses a route declared twice
        if key in ROUTE_MODULES:  # the app registers it (register_routes)
            return view

        @functools.wraps(view)
        def blueprint_view(**path_values: str) -> Response:
            return endpoint(blueprint.current_request, **path_values)

        return blueprint.route(path, methods=[method])(blueprint_view)

    return register
