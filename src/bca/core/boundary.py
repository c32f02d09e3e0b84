"""What enters the service and what leaves it when something breaks: two ASGI middlewares.

``InputBoundary`` applies one rule to everything a request brings in, before any route runs:
text that PostgreSQL cannot store (NUL, and lone UTF-16 surrogates, which are not characters
at all) is refused with 422 wherever it is, in the path, the query, a header or a body at
any depth (object keys included), so that SQLite and PostgreSQL answer alike and no domain
has to remember it field by field. It also bounds the bodies it holds: every body but a
multipart upload is read here, counted while it arrives and refused with 413 past the limit,
and a multipart body is counted on its way to the upload code as a backstop.

``ErrorBoundary`` turns an exception nobody handled into a problem document inside the app.
Starlette's outermost middleware would also answer, but then re-raises, so that the server
logs "Exception in ASGI application" and drops a keep-alive connection that is still sound.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import AfterValidator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bca.core.errors import problem_response

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


def _is_json(content_type: bytes | None) -> bool:
    # FastAPI reads a body without a Content-Type as JSON too.
    if not content_type:
        return True
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == b"application/json" or (
        media_type.startswith(b"application/") and media_type.endswith(b"+json")
    )


def _is_multipart(content_type: bytes | None) -> bool:
    return content_type is not None and content_type.lstrip().lower().startswith(b"multipart/")


def _is_form(content_type: bytes | None) -> bool:
    return content_type is not None and content_type.lstrip().lower().startswith(
        b"application/x-www-form-urlencoded"
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
        content_type: bytes | None = None
        content_length: bytes | None = None
        refusal: ASGICall | None = None
        for name, value in scope["headers"]:
            if b"\x00" in value:
                refusal = _unstorable(["header", name.decode("latin-1")])
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                content_length = value
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
        if content_length is not None and content_length.isdigit() and int(content_length) > limit:
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
