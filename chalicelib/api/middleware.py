"""The one HTTP middleware: request id, body-size limit, authentication and authorization from the
route table, and problem+json for what fails before a route runs (through
``chalicelib.api.problems``, as the routes' own errors) and for Chalice's own errors."""
from __future__ import annotations

import time

from chalice import Response

from chalicelib.api.http import CALLER_KEY, MAX_BODY_BYTES, REQUEST_ID_KEY
from chalicelib.api.problems import PROBLEM_TYPE, HandlerResponse, from_domain_error, problem
from chalicelib.api.routing import PUBLIC, ROUTES
from chalicelib.core import clock
from chalicelib.core.errors import DomainError, PayloadTooLarge
from chalicelib.domain import auth
from chalicelib.domain.caller import Caller
from chalicelib.observability import logger

# What a JSON API should send (OWASP REST Security): no caching of tokens or private data, no content
# sniffing, never rendered as a page or framed, HTTPS only once a browser has seen it over HTTPS.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


def _normalize(response: Response, request_id: str) -> Response:
    """Chalice's own errors (405, 415, an unhandled exception's 500) leave as problem+json too,
    with a generic detail: a stack trace or internal name never reaches a client."""
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
    if response.status_code < 400 or content_type.startswith(PROBLEM_TYPE) or isinstance(response, HandlerResponse):
        return response
    detail = "the request could not be processed"
    if isinstance(response.body, dict) and response.status_code < 500:
        detail = str(response.body.get("Message") or detail)
    elif response.status_code >= 500:
        detail = "an internal error occurred; quote the request_id when reporting it"
    keep = {k: v for k, v in response.headers.items() if k.lower() in ("allow", "retry-after")}
    return problem(response.status_code, detail, request_id, headers=keep)


def _method_not_allowed(path: str | None, request_id: str) -> Response:
    """A method the route table does not declare on a known path: no view can run, so answer 405
    (with ``Allow``) before authentication instead of a misleading 401."""
    allowed = sorted(method for method, known_path in ROUTES if known_path == path)
    if not allowed:  # Chalice only dispatches declared paths, and every one is in the route table
        return problem(404, "no such resource", request_id)
    return problem(405, "this method is not allowed here", request_id, headers={"Allow": ", ".join(allowed)})


def _authorize(request, request_id: str, source_ip: str | None) -> Caller:
    spec = ROUTES[(request.method, request.context.get("resourcePath"))]
    if spec.access == PUBLIC:
        return Caller(kind="anonymous", request_id=request_id, source_ip=source_ip)
    api_key = request.headers.get("x-api-key") if spec.api_key_header else None
    caller = auth.authenticate(request.headers.get("authorization"), api_key=api_key, request_id=request_id,
                               source_ip=source_ip)
    auth.authorize(caller, spec.access, spec.sdk_key)
    return caller


def http_middleware(event, get_response):
    started = time.perf_counter()
    request_id = event.context.get("requestId") or clock.new_id()
    source_ip = (event.context.get("identity") or {}).get("sourceIp")
    logger.append_keys(request_id=request_id)
    try:
        # Checked before authentication, as the contract asks: a huge body costs us nothing more.
        if len(event.raw_body or b"") > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
        if (event.method, event.context.get("resourcePath")) not in ROUTES:
            response = _method_not_allowed(event.context.get("resourcePath"), request_id)
        else:
            event.context[REQUEST_ID_KEY] = request_id
            event.context[CALLER_KEY] = _authorize(event, request_id, source_ip)
            response = get_response(event)
    except DomainError as error:
        response = from_domain_error(error, request_id)
    except Exception:  # noqa: BLE001 - the last line of defence: log it, answer a clean 500
        logger.exception("unhandled error")
        response = problem(500, "an internal error occurred; quote the request_id when reporting it", request_id)
    response = _normalize(response, request_id)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["X-Request-Id"] = request_id
    logger.info("request", extra={"method": event.method, "path": event.context.get("resourcePath"),
                                  "status": response.status_code,
                                  "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
    logger.remove_keys(["request_id"])
    return response
