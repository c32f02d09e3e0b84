"""HTTP details every domain's routes share: the problem documents a route documents, file
names in ``Content-Disposition``, and the headers of a 204 (entity tags and ``If-Match`` are
in ``bca.core.versioning``)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal
from urllib.parse import quote

from fastapi import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bca.core.openapi import PROBLEM_DESCRIPTIONS

_BODY_HEADERS = (b"content-type", b"content-length")
# Nothing that could name a folder, end the header or confuse a file system.
_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]')
_NOT_PLAIN_ASCII = re.compile(r"[^A-Za-z0-9 ._()+,-]")
# RFC 8187 attr-char, beyond what quote() always keeps (letters, digits, "_.-~").
_ATTR_CHARS = "!#$&+^`|"


def content_disposition(kind: Literal["inline", "attachment"], filename: str) -> str:
    """``Content-Disposition`` offering ``filename`` (RFC 6266): the full name, percent-encoded
    UTF-8, in ``filename*``, and an ASCII stand-in in ``filename`` for old clients."""
    name = _UNSAFE_IN_NAMES.sub("_", filename).strip(" .") or "download"
    ascii_name = _NOT_PLAIN_ASCII.sub(
        "_", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    )
    stem, dot, suffix = ascii_name.rpartition(".")
    if not (stem if dot else ascii_name).strip("_ "):
        ascii_name = f"download.{suffix}" if dot else "download"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"


def vcard_download(text: str, name: str) -> Response:
    """A vCard to save as ``name``.vcf (the name cut to 100 characters); never sniffed."""
    return Response(
        text.encode(),
        media_type="text/vcard; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition("attachment", f"{name[:100]}.vcf"),
            "X-Content-Type-Options": "nosniff",
        },
    )


Headers = list[tuple[bytes, bytes]]


class HeaderRewrite:
    """ASGI middleware that rewrites the headers of every HTTP response as it starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def rewrite(self, scope: Scope, status: int, headers: Headers) -> Headers:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_rewritten(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = self.rewrite(scope, message["status"], headers)
            await send(message)

        await self.app(scope, receive, send_rewritten)


class NoContentHeaders(HeaderRewrite):
    """A 204 carries no content, so it carries no Content-Type either (RFC 9110, 15.3.5).

    FastAPI gives a 204 route's empty answer the JSON response class's headers unless each
    route names a plain ``Response``; doing it here once keeps every route right.
    """

    def rewrite(self, scope: Scope, status: int, headers: Headers) -> Headers:
        if status != 204:
            return headers
        return [(name, value) for name, value in headers if name.lower() not in _BODY_HEADERS]


class HeadAsGet:
    """``HEAD`` on the pages monitors and people probe (``/``, ``/healthz``, ``/docs`` ...) is
    their ``GET`` without the body (RFC 9110, 9.3.2), instead of 405: FastAPI's routes answer
    only the methods they name. Other paths are untouched (routes that serve ``HEAD`` name it,
    so that a download is not read just to be dropped)."""

    def __init__(self, app: ASGIApp, *, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, without_body)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the errors a route's own rules raise (403, 409, 429 ...).

    Only these: what follows from the route's shape (401, 404, 412, 413, 415, 422, 503) and
    every error's ``application/problem+json`` content are added to the OpenAPI document for
    every route alike (core.openapi).
    """
    return {status: {"description": PROBLEM_DESCRIPTIONS[status]} for status in statuses}
