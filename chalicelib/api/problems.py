"""The one place where errors become HTTP answers: ``application/problem+json`` (RFC 9457), or the
shape of a protocol a route speaks (OFREP's ``{key, errorCode, errorDetails}``) where the route
declares one."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from chalice import Response

from chalicelib.core.errors import DomainError

PROBLEM_TYPE = "application/problem+json"
STATUS_TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 415: "Unsupported Media Type",
    422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
    503: "Service Unavailable",
}

# A route's own error shape: the answer for an error in the protocol's terms, or None to answer
# problem+json. It is given the error and the route's path parameters as sent.
ProtocolErrors = Callable[[Exception, Mapping[str, str]], "Response | None"]


class HandlerResponse(Response):
    """A response shaped on purpose: the middleware keeps its status and body as they are, even an
    error status (``/health``'s 503 carries the health report, OFREP's 400 its own error body)."""


def json_response(body: object, status: int = 200, headers: dict | None = None) -> HandlerResponse:
    all_headers = {"Content-Type": "application/json"} if body is not None else {}
    all_headers.update(headers or {})
    return HandlerResponse(body=json.dumps(body, separators=(",", ":")) if body is not None else "",
                           status_code=status, headers=all_headers)


def problem(status: int, detail: str, request_id: str, *, title: str | None = None,
            errors: list | None = None, headers: dict | None = None, extra: dict | None = None) -> Response:
    body = {"title": title or STATUS_TITLES.get(status, "Error"), "status": status, "detail": detail,
            "request_id": request_id}
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=status,
                    headers={"Content-Type": PROBLEM_TYPE, **(headers or {})})


def from_domain_error(error: DomainError, request_id: str) -> Response:
    return problem(error.status, error.detail, request_id, title=error.title, errors=error.errors,
                   headers=error.headers, extra=error.extra)


def error_response(error: Exception, request_id: str, *, protocol_errors: ProtocolErrors | None = None,
                   path_params: Mapping[str, str] | None = None) -> Response | None:
    """The answer for ``error``, or None when it is no error of ours (the caller answers a clean 500)."""
    if protocol_errors is not None:
        answer = protocol_errors(error, path_params or {})
        if answer is not None:
            return answer
    return from_domain_error(error, request_id) if isinstance(error, DomainError) else None
