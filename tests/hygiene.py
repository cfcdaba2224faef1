"""What no response may carry: stack traces, internal names, secrets' hashes. Shared by the
security suite (in process) and the fuzzing suite (over HTTP)."""
from __future__ import annotations

# Never in any response: secrets' hashes and their field names, stack traces.
SECRET_MARKERS = (
    "password_hash",  # the user record's field
    "key_hash",  # the SDK key record's field
    "token_generation",
    "$2b$", "$2a$", "$2y$",  # bcrypt hashes
    "Traceback",  # a Python stack trace
    'File "/',  # a stack frame
)
# Never in an error: internal names. (A deployment legitimately carries its `execution_arn`, so
# ARNs and the stack's prefix are only forbidden where a client did not ask for them.)
INTERNAL_MARKERS = ("arn:aws", "botocore", "pynamodb", "dynamodb.", "ConditionalCheckFailed")
REQUIRED_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-store", "x-frame-options": "DENY",
                    "content-security-policy": "default-src 'none'; frame-ancestors 'none'"}


def leaks(text: str, status: int, *, table_prefix: str | None = None, secrets: tuple[str, ...] = (),
          sent: str = "") -> list[str]:
    """The forbidden markers found in a response's text (headers and body). ``secrets`` are known
    values that must never come back (an SDK key's hash, a password hash). A marker the request
    itself carried (``sent``) is an echo of the client's own input, not a leak."""
    markers = list(SECRET_MARKERS) + [secret for secret in secrets if secret]
    if status >= 400:
        markers += list(INTERNAL_MARKERS) + ([table_prefix] if table_prefix else [])
    return [marker[:16] for marker in markers if marker in text and marker not in sent]


def missing_headers(headers: dict) -> list[str]:
    """Headers every answer of the API carries (set by the middleware)."""
    lowered = {name.lower(): ", ".join(value) if isinstance(value, list) else value for name, value in headers.items()}
    problems = [f"{name}: {value}" for name, value in REQUIRED_HEADERS.items() if lowered.get(name) != value]
    if not lowered.get("x-request-id"):
        problems.append("X-Request-Id")
    return problems


def response_text(headers: dict, body) -> str:
    header_text = "\n".join(f"{name}: {value}" for name, value in headers.items())
    return f"{header_text}\n\n{body if isinstance(body, str) else repr(body)}"
