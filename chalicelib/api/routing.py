"""The route table: every route is declared here through :func:`route`, with its minimum role in
one visible place. The middleware authorizes from this table and the OpenAPI document is built
from it, so a route cannot exist without an access rule or without documentation."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PUBLIC = "public"
VIEWER = "viewer"
DEVELOPER = "developer"
ADMIN = "admin"
ACCESS_LEVELS = (PUBLIC, VIEWER, DEVELOPER, ADMIN)


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    access: str
    sdk_key: bool
    summary: str
    tag: str
    operation_id: str
    body: Any = None  # pydantic model of the JSON body
    query: Any = None  # pydantic model of the query string
    response: Any = None  # pydantic model of the success body (None: no body)
    status: int = 200
    errors: tuple[int, ...] = ()
    headers: dict = field(default_factory=dict)  # extra documented response headers
    request_headers: dict = field(default_factory=dict)  # documented request headers
    description: str = ""
    # Documented responses that are not problem+json (a protocol's own error shape such as OFREP's,
    # or a 304): status -> pydantic model of an application/json body, or None for no body.
    responses: dict = field(default_factory=dict)
    # The path parameter naming a resource with an owner (``owner_id``): below admin, only its owner may
    # call the route (the domain enforces it; the document and the security suite read it from here).
    owner: str = ""
    # The SDK key may also come in ``X-API-Key`` (OFREP's ApiKeyAuth), not only as a Bearer token.
    api_key_header: bool = False


ROUTES: dict[tuple[str, str], RouteSpec] = {}


def route(blueprint, path: str, method: str, *, access: str, summary: str, sdk_key: bool = False,
          body=None, query=None, response=None, status: int = 200, errors: tuple[int, ...] = (),
          headers: dict | None = None, request_headers: dict | None = None,
          description: str = "", responses: dict | None = None, owner: str = "",
          api_key_header: bool = False) -> Callable:
    if access not in ACCESS_LEVELS:
        raise ValueError(f"unknown access level {access}")
    if api_key_header and not sdk_key:
        raise ValueError(f"{path}: X-API-Key carries an SDK key, so the route must accept SDK keys")
    if owner and f"{{{owner}}}" not in path:
        raise ValueError(f"owner {owner} is not a parameter of {path}")

    def register(view: Callable) -> Callable:
        key = (method, path)
        if key in ROUTES:
            raise ValueError(f"route {method} {path} declared twice")
        ROUTES[key] = RouteSpec(
            method=method, path=path, access=access, sdk_key=sdk_key, summary=summary,
            tag=blueprint._import_name.rsplit(".", 1)[-1], operation_id=view.__name__,
            body=body, query=query, response=response, status=status, errors=tuple(errors),
            headers=headers or {}, request_headers=request_headers or {}, description=description,
            responses=responses or {}, owner=owner, api_key_header=api_key_header,
        )
        return blueprint.route(path, methods=[method])(view)

    return register
