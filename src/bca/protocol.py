"""``bca serve``'s HTTP/1.1 protocol: uvicorn's httptools protocol with the limits it lacks.

uvicorn closes a connection idle *between* requests after its keep-alive timeout, but it has no
deadline for the request head itself and no limit on its size: a client that connects and sends
nothing, or a header a byte at a time, held a connection (and a file descriptor) for as long as
it liked; a WebSocket upgrade whose request line was over 8 KiB was handed to the WebSocket
library, which refused the line and never answered (issue 22, item 9). Here:

- the **head** of every request (request line and headers) must arrive within
  ``BCA_HTTP_HEAD_TIMEOUT_SECONDS`` (10 s) of the connection opening, or of the first byte of
  a later request on a keep-alive connection; otherwise the server answers 408 and closes;
- the request line (the URL) and each header line are at most ``MAX_LINE_BYTES``, the head at
  most ``MAX_HEAD_BYTES`` and ``MAX_HEADERS`` headers; beyond, 431 and close, before any of it
  reaches the app or the WebSocket handshake (the WebSocket library's own limits are 8 KiB a
  line and 128 headers, so everything under these limits gets an answer from it);
- an idle keep-alive connection is closed after ``BCA_HTTP_KEEP_ALIVE_SECONDS`` (5 s; uvicorn's
  own timer, set by ``bca serve``).

A half-sent *body* is the app's to bound: JSON bodies are read whole by the input boundary,
whose reads wait only as long as the client keeps sending.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_LINE_BYTES = 8 * 1024
MAX_HEAD_BYTES = 32 * 1024
MAX_HEADERS = 100
_RAW_HEAD_LIMIT = 4 * MAX_HEAD_BYTES
"""Bytes received while a head is incomplete, whatever the parser buffers of them: a backstop
for a single header value that never ends (counted per read, so a pipelined request's body in
the same read counts too, hence the margin)."""

_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


@functools.cache
def head_timeout() -> float:
    """This process's ``BCA_HTTP_HEAD_TIMEOUT_SECONDS``: uvicorn builds a protocol per
    connection from its own config, and each worker process reads the settings once here."""
    from bca.settings import load_settings

    return load_settings().http_head_timeout_seconds


class _HeadTooLarge(Exception):
    """Raised from a parser callback: httptools stops and reports a callback error."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's ``httptools`` protocol with a deadline and size limits for request heads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._head_raw_bytes = 0
        self._header_count = 0
        self._head_deadline: asyncio.TimerHandle | None = None

    # --- the deadline -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's
        super().connection_made(transport)
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(head_timeout(), self._head_timed_out)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self._in_head and not self.transport.is_closing():
            self._refuse(408, "The request's headers did not arrive in time.")

    # --- the sizes ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._arm_head_deadline()  # the first byte of a later request on this connection
            self._head_raw_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, _HeadTooLarge) or isinstance(
                error.__cause__, _HeadTooLarge
            ):
                self._refuse(431, "The request's headers are too large.")
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self._in_head and self._head_raw_bytes > _RAW_HEAD_LIMIT:
            self._refuse(431, "The request's headers are too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._header_count = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count(len(url), line=len(self.url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            raise _HeadTooLarge
        self._count(len(name) + len(value) + 4, line=len(name) + len(value) + 2)
        super().on_header(name, value)

    def _count(self, size: int, *, line: int) -> None:
        self._head_bytes += size
        if line > MAX_LINE_BYTES or self._head_bytes > MAX_HEAD_BYTES:
            raise _HeadTooLarge

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_raw_bytes = 0
        self._disarm_head_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True

    def handle_websocket_upgrade(self) -> None:
        self._disarm_head_deadline()  # the WebSocket protocol has the connection from here
        super().handle_websocket_upgrade()

    def _refuse(self, status: int, message: str) -> None:
        self._disarm_head_deadline()
        body = message.encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: text/plain; charset=utf-8\r\n")
        head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()
