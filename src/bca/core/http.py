"""HTTP details that hold for every response, whichever route made it."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class NoContentHeaders:
    """A 204 carries no content, so it carries no Content-Type either (RFC 9110, 15.3.5).

    FastAPI gives a 204 route's empty answer the JSON response class's headers unless each
    route names a plain ``Response``; doing it here once keeps every route right.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_without_body_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 204:
                message["headers"] = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _BODY_HEADERS
                ]
            await send(message)

        await self.app(scope, receive, send_without_body_headers)
