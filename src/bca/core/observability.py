"""Request ids, JSON logs without secrets, and Prometheus metrics."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

REQUESTS = Counter(
    "bca_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "bca_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


# Names of fields and parameters that hold secrets (a pattern, not a password).
_SECRET_NAME = r"[A-Za-z0-9_.-]*(?:token|password|passwd|secret|signature|credential|api[_-]?key)[A-Za-z0-9_.-]*"  # noqa: E501, S105
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A query parameter or key=value: ?access_token=..., token=..., X-Amz-Signature=...
    (re.compile(rf"(?i)(\b{_SECRET_NAME}=)[^&\s\"';,]+"), r"\1[redacted]"),
    # A quoted field: "password": "...", also inside a JSON log line's escaped message.
    (
        re.compile(rf"""(?i)(["']{_SECRET_NAME}\\?["']\s*:\s*\\?["'])[^"'\\]+"""),
        r"\1[redacted]",
    ),
    # Credentials of an Authorization header (a bearer token, a Basic app password).
    # An Authorization header's value, whatever it looks like ...
    (
        re.compile(
            r"""(?i)(\bauthorization\\?["']?\s*[:=]\s*\\?["']?)((?:bearer|basic)\s+)?[^\s"',;]+"""
        ),
        r"\1\2[redacted]",
    ),
    # ... and a credential after its scheme anywhere else (a credential has a digit or a sign
    # in it: "Basic authentication" is left alone).
    (
        re.compile(
            r"(?i)\b(bearer|basic)(\s+)(?!realm=)"
            r"(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,}"
        ),
        r"\1\2[redacted]",
    ),
    # A JWT wherever it is.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    # Cookies: the console's session and sign-in nonce, and any Cookie header.
    (re.compile(r"(?i)\b(bca_admin\w*=)[^;\s\"',&]+"), r"\1[redacted]"),
    (
        re.compile(r"(?i)\b((?:set-)?cookie\\?[\"']?\s*[:=]\s*\\?[\"']?)[^\r\n\"']+"),
        r"\1[redacted]",
    ),
    # A shared card's link: its path is the secret.
    (re.compile(r"(/c/)[A-Za-z0-9_-]{8,}"), r"\1[redacted]"),
    # The password of a URL's user info: postgresql://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@"), r"\1[redacted]@"),
)


def redact(text: str) -> str:
    """``text`` without the secrets a log line may carry: tokens in URLs and fields,
    credentials of Authorization headers, JWTs, cookies, share-link paths, URL passwords."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class _Redacting(logging.Formatter):
    """Wraps a formatter: the whole line it makes (message, arguments, traceback, extra
    fields) is redacted, whatever logger it came from (uvicorn's access log included)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class _ReadableFormatter(logging.Formatter):
    """One line per record for a person at a terminal; the request id only when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{text}  [{request_id}]" if request_id else text


def log_formatter(*, json_format: bool) -> logging.Formatter:
    """The formatter of every B.Ca process's log (API and worker): JSON or readable, redacted."""
    inner: logging.Formatter = (
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
        if json_format
        else _ReadableFormatter()
    )
    return _Redacting(inner)


def configure_logging(*, level: str = "INFO", json_format: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(log_formatter(json_format=json_format))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Warnings (Celery's, as root, for one) are log records too, formatted like the rest.
    logging.captureWarnings(True)
    # Alembic announces each of its plugins at INFO on every start; the migrations it runs
    # are still logged.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # httpx logs every request's whole URL at INFO: a Web Push endpoint's path is the
    # browser's subscription, which no log line may carry.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class ObservabilityMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware) so that streaming and WebSockets pass untouched.

    Gives each request an id (kept from ``X-Request-ID`` when the client sent a sane one),
    echoes it in the response, and records count and latency by route template, not by raw
    path, so that ids in URLs do not explode the metric's cardinality.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else None
        request_id = request_id or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_code = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                route = _route_template(scope)
                REQUESTS.labels(scope["method"], route, str(status_code)).inc()
                LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
            request_id_var.reset(token)


def _route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
