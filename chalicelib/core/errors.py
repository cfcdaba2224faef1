"""Domain errors: plain exceptions, each with the HTTP status it maps to. The API layer turns them
into problem+json in one place (``chalicelib.api.problems``). Domain code raises these and knows
nothing else of HTTP."""
from __future__ import annotations


class DomainError(Exception):
    status = 500
    title = "Internal Server Error"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, headers: dict | None = None,
                 extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}


class ValidationFailed(DomainError):
    status = 400
    title = "Bad Request"

    def __init__(self, errors: list[dict], detail: str | None = None):
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        super().__init__(detail or f"Invalid input: {fields}", errors=errors)

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls([{"field": field, "message": message}])


class MalformedBody(ValidationFailed):
    """The body could not be read as one JSON object (as opposed to an object with a wrong field)."""


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not Found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload Too Large"


class TooManyRequests(DomainError):
    status = 429
    title = "Too Many Requests"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, headers={"Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = retry_after


class DependencyUnavailable(DomainError):
    status = 503
    title = "Service Unavailable"
