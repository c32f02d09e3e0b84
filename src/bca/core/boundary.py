"""What enters the service and what leaves it when something breaks: two ASGI middlewares.

``InputBoundary`` applies one rule to everything a request brings in, before any route runs:
text that PostgreSQL cannot store (NUL, and lone UTF-16 surrogates, which are not characters
at all) is refused with 422 wherever it is, in the path, the query, a header or a body at
any depth (object keys included), so that SQLite and PostgreSQL answer alike and no domain
has to remember it field by field. It also bounds the bodies it holds: every body but a
multipart upload is read here, counted while it arrives and refused with 413 past the limit,
and a multipart body is counted on its way to the upload code as a backstop.

``SingleHeaders`` is in front of both: a request that repeats a header whose value decides how
it is read or who sends it (``Content-Type``, ``Content-Length``, ``Transfer-Encoding``,
``Authorization``, ``Host``) is refused with 400 before anything reads it. Two layers that pick
different copies (this one the last, the framework the first) would check one body and parse
another; with one copy, and both reading it through Starlette's ``Headers``, they cannot.

``ErrorBoundary`` turns an exception nobody handled into a problem document inside the app.
Starlette's outermost middleware would also answer, but then re-raises, so that the server
logs "Exception in ASGI application" and drops a keep-alive connection that is still sound.
"""

from __future__ import annotations

import email.message
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import AfterValidator
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bca.core.problems import problem_response

logger = logging.getLogger(__name__)

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""Characters no PostgreSQL text column takes: NUL, and a surrogate without its pair."""

# Bytes after which a JSON body may hold unstorable text: an escape of NUL or of a surrogate,
# a raw NUL (also every UTF-16 or UTF-32 body), or a surrogate encoded as UTF-8 (which
# ``json.loads`` lets through). Anything else is certainly clean: one scan, no parse.
_JSON_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\x00|\xed[\xa0-\xbf]")
_FORM_NUL = re.compile(rb"%00|\x00")

NOT_FOUND_PREFIXES = ("/c/",)
"""Public pages whose path is a secret: a path no link can have is simply not found."""


def has_unstorable(text: str) -> bool:
    return UNSTORABLE.search(text) is not None


def _storable(text: str) -> str:
    if UNSTORABLE.search(text):
        raise ValueError("Text must not contain NUL characters or unpaired surrogates.")
    return text


STORABLE = AfterValidator(_storable)
"""For text that arrives where the boundary does not look: the fields of a multipart form
(``Annotated[str, Form(), STORABLE]``), whose file parts may hold any byte."""


def json_has_unstorable(body: bytes) -> bool:
    """Whether any string of a JSON document, object keys included, holds unstorable text.

    A body that is not JSON counts as clean: the route refuses it with its own answer.
    """
    if _JSON_SUSPECT.search(body) is None:
        return False
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False
    pending: list[Any] = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            for key, value in item.items():
                if UNSTORABLE.search(key):
                    return True
                pending.append(value)
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _is_json(content_type: str | None) -> bool:
    """Whether FastAPI would parse the body as JSON (or it is JSON by any reading): checked
    when in doubt. A body without a Content-Type counts as JSON."""
    if not content_type:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return True
    # FastAPI's own reading (fastapi.routing): the email package's parse of the header.
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _is_multipart(content_type: str | None) -> bool:
    return content_type is not None and content_type.lstrip().lower().startswith("multipart/")


def _is_form(content_type: str | None) -> bool:
    return content_type is not None and content_type.lstrip().lower().startswith(
        "application/x-www-form-urlencoded"
    )


ASGICall = Callable[[Scope, Receive, Send], Awaitable[None]]


def _refusal(status: int, code: str, detail: str, location: list[str] | None = None) -> ASGICall:
    extra = {"errors": [{"loc": location, "msg": detail}]} if location else None
    return problem_response(status=status, code=code, detail=detail, extra=extra)


def _unstorable(location: list[str]) -> ASGICall:
    return _refusal(
        422,
        "validation_error",
        "Text must not contain NUL characters or unpaired surrogates.",
        location,
    )


def _too_large(limit: int) -> ASGICall:
    return _refusal(413, "too_large", f"The request body is larger than {limit} bytes.")


class InputBoundary:
    """Refuses unstorable text and oversized bodies before the app sees the request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_multipart_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_multipart = max_multipart_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal: ASGICall | None = None
        for name, value in scope["headers"]:
            if b"\x00" in value:
                refusal = _unstorable(["header", name.decode("latin-1")])
        # The framework's reading of the headers (SingleHeaders saw to it there is one copy).
        headers = Headers(scope=scope)
        content_type = headers.get("content-type")
        content_length = headers.get("content-length")
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        if UNSTORABLE.search(path) or _FORM_NUL.search(query):
            refusal = (
                _refusal(404, "not_found", "No such page.")
                if path.startswith(NOT_FOUND_PREFIXES)
                else _unstorable(["path" if UNSTORABLE.search(path) else "query"])
            )
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        limit = self.max_multipart if _is_multipart(content_type) else self.max_body
        if _declares_more_than(content_length, limit):
            await _too_large(limit)(scope, receive, send)
            return
        if _is_multipart(content_type):
            await _CountedBody(self.app, limit)(scope, receive, send)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await _too_large(limit)(scope, receive, send)
            return
        if body and (
            (_is_json(content_type) and json_has_unstorable(body))
            or (_is_form(content_type) and _FORM_NUL.search(body))
        ):
            await _unstorable(["body"])(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _declares_more_than(content_length: str | None, limit: int) -> bool:
    # ASCII digits only ("²".isdigit() is true), and no int() of thousands of digits.
    if content_length is None or not (content_length.isascii() and content_length.isdigit()):
        return False
    digits = content_length.lstrip("0")
    return len(digits) > len(str(limit)) or int(digits or "0") > limit


SINGLE_HEADERS = frozenset(
    (b"content-type", b"content-length", b"transfer-encoding", b"authorization", b"host")
)
"""Headers a request may carry once: each decides how the request is read or who sends it."""


def repeated_header(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The first header of ``SINGLE_HEADERS`` that ``headers`` carries more than once."""
    seen: set[bytes] = set()
    for raw_name, _value in headers:
        name = raw_name.lower()
        if name in SINGLE_HEADERS:
            if name in seen:
                return name.decode("latin-1")
            seen.add(name)
    return None


class SingleHeaders:
    """Refuses a request that repeats a header of ``SINGLE_HEADERS``, before anything reads it:
    400 ``bad_request`` for HTTP, a refused handshake (403) for a WebSocket. The outermost
    layer of the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            name = repeated_header(scope["headers"])
            if name is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                title = "-".join(part.capitalize() for part in name.split("-"))
                await _refusal(
                    400,
                    "bad_request",
                    f"The request carries more than one {title} header.",
                    ["header", name],
                )(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` (the rest is never held)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client left; the app hears of it when it reads
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class _CountedBody:
    """Passes a multipart body through while counting it; past the limit, the app is told the
    client left (what it does next is moot) and the client gets 413 instead of its answer."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _too_large(self.limit)(scope, receive, send)


def _request_id(scope: Scope) -> str | None:
    state: Any = scope.get("state") or {}
    request_id = state.get("request_id") if isinstance(state, dict) else None
    return request_id if isinstance(request_id, str) else None


class ErrorBoundary:
    """Answers an unhandled exception with a 500 problem document and swallows it.

    After the response has started nothing can be answered any more: the exception goes on
    (the server closes the connection, as it must for a half-sent response). After the response
    is complete, the client has what it asked for: the error is logged and ends there.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "complete": False}

        async def tracked(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                state["complete"] = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            request_id = _request_id(scope)
            logger.exception("unhandled error", extra={"request_id": request_id})
            if state["complete"]:
                return
            if state["started"]:
                raise
            response = problem_response(
                status=500,
                code="internal_error",
                detail="Something went wrong on our side; it has been logged.",
                extra={"request_id": request_id},
            )
            await response(scope, receive, send)
