"""``GET /v1/ws``: every new event of the user's chats, typing relay and ping, on one socket.

Protocol (JSON text frames):
- authenticate with ``?access_token=`` or, within 10 s, a first message
  ``{"type": "auth", "access_token": "..."}``; the server answers
  ``{"type": "ready", "user_id": ..., "session_id": ...}`` once delivery is live;
- server to client: ``{"type": "event", "event": {...}}`` (the ``event`` of the chat API, in
  index order per chat), ``{"type": "typing", "chat_id", "profile_id"}``, ``{"type": "pong"}``,
  ``{"type": "error", "code", "detail"}`` for a message the server did not understand;
- client to server: ``{"type": "ping"}``, ``{"type": "typing", "chat_id": "..."}`` (relayed to
  the chat's other participants, at most once a second per chat).
Close codes: 4401 unauthorized (bad or expired token, or the session was revoked while
connected: revocation closes the socket at once); 4408 the client fell too far behind (its queue
of unsent messages overflowed) — reconnect and catch up with ``GET /v1/chats/{id}/events``;
1012 delivery was interrupted on the server side, or the server is shutting down or restarting
(same remedy: reconnect, to another instance if need be); 1013 realtime delivery is unavailable,
try again later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from bca.accounts.dependencies import user_id_from_token
from bca.backends import Backends
from bca.backends.pubsub import publish_typing
from bca.core.faults import is_backend_unavailable
from bca.core.security import decode_access_token
from bca.realtime.hub import Hub, HubUnavailable
from bca.realtime.mailboxes import CLOSE_NORMAL, CLOSE_UNAUTHORIZED, Connection

logger = logging.getLogger(__name__)

PATH = "/v1/ws"
AUTH_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0
TYPING_INTERVAL = 1.0
MAX_CLIENT_MESSAGE = 4096
CLOSE_TRY_AGAIN_LATER = 1013


class RealtimeEndpoint:
    """ASGI middleware that serves ``GET /v1/ws`` itself, in front of the framework.

    A socket lives for hours, and whatever a request keeps on its stack lives as long: FastAPI's
    routing scopes, exit stacks and dependency state would cost every idle connection several
    KiB. So the socket skips them: one coroutine reads, one task writes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == PATH:
            await realtime(WebSocket(scope, receive, send))
        else:
            await self.app(scope, receive, send)


async def realtime(websocket: WebSocket) -> None:
    """One connection, from the handshake to the close. Whatever this frame holds lives as long
    as the socket: helpers do the work that needs more (the auth transaction, the ready frame)."""
    backends: Backends = websocket.app.state.backends
    hub = backends.realtime
    assert isinstance(hub, Hub), "the wiring makes the realtime hub the backends' events"
    await websocket.accept()
    claims = await _claims(websocket, backends)
    if claims is None:
        await _close(websocket, CLOSE_UNAUTHORIZED, "authentication required")
        return
    try:
        # Registered before the session is checked, so a revocation published in between
        # still reaches this connection.
        async with hub.connect(user_id=claims.user_id, session_id=claims.session_id) as connection:
            if await user_id_from_token(backends, claims.token) is None:
                await _close(websocket, CLOSE_UNAUTHORIZED, "invalid, expired or revoked token")
                return
            await websocket.send_text(_ready_frame(claims))
            await _serve(websocket, hub, connection)
    except HubUnavailable:
        await _close(websocket, CLOSE_TRY_AGAIN_LATER, "realtime delivery unavailable")
    except Exception as error:
        # The WebSocket's 503: a cache or database outage (authentication fails closed).
        if not is_backend_unavailable(error):
            raise
        logger.warning("realtime connection closed by a backend outage: %s", error)
        await _close(websocket, CLOSE_TRY_AGAIN_LATER, "a backend is unavailable")


@dataclass(frozen=True, slots=True)
class _Claims:
    token: str
    user_id: uuid.UUID
    session_id: uuid.UUID


async def _claims(websocket: WebSocket, backends: Backends) -> _Claims | None:
    token = websocket.query_params.get("access_token") or await _auth_message(websocket)
    claims = decode_access_token(token, key=backends.settings.signing_key) if token else None
    if token is None or claims is None:
        return None
    return _Claims(token, claims.user_id, claims.session_id)


def _ready_frame(claims: _Claims) -> str:
    return json.dumps(
        {"type": "ready", "user_id": str(claims.user_id), "session_id": str(claims.session_id)}
    )


async def _auth_message(websocket: WebSocket) -> str | None:
    try:
        received = await asyncio.wait_for(websocket.receive(), AUTH_TIMEOUT)
    except TimeoutError:
        return None
    message = _parse(received.get("text"))
    token = message.get("access_token") if message and message.get("type") == "auth" else None
    return token if isinstance(token, str) and token else None


async def _serve(websocket: WebSocket, hub: Hub, connection: Connection) -> None:
    """Write in this coroutine until the connection closes (the hub closes it, or the reader
    task when the client leaves), then close the socket with the connection's code."""
    reader = asyncio.create_task(_read(websocket, hub, connection))
    try:
        await _write(websocket, connection)
    finally:
        reader.cancel()
        with suppress(asyncio.CancelledError):
            await reader
    code, reason = connection.closing.result()
    await _close(websocket, code, reason)


async def _write(websocket: WebSocket, connection: Connection) -> None:
    while not connection.closing.done():
        await connection.wait()
        for text in connection.take():
            try:
                await websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError):
                connection.close(CLOSE_NORMAL, "client gone")
                return


async def _read(websocket: WebSocket, hub: Hub, connection: Connection) -> None:
    last_typing: dict[uuid.UUID, float] | None = None
    try:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                return
            text = received.get("text")
            size_ok = text is not None and len(text) <= MAX_CLIENT_MESSAGE
            message = _parse(text) if size_ok else None
            kind = message.get("type") if message else None
            if kind == "ping":
                connection.offer(json.dumps({"type": "pong"}))
            elif kind == "typing" and message is not None:
                if last_typing is None:
                    last_typing = {}
                await _relay_typing(hub, connection, message, last_typing)
            elif kind != "auth":
                _error(connection, "validation_error", "Send JSON text: ping or typing.")
    finally:
        connection.close(CLOSE_NORMAL, "client gone")


async def _relay_typing(
    hub: Hub,
    connection: Connection,
    message: dict[str, Any],
    last_typing: dict[uuid.UUID, float],
) -> None:
    try:
        chat_id = uuid.UUID(str(message.get("chat_id")))
    except ValueError:
        _error(connection, "validation_error", "typing needs a chat_id.")
        return
    now = time.monotonic()
    if now - last_typing.get(chat_id, -TYPING_INTERVAL) < TYPING_INTERVAL:
        return
    last_typing[chat_id] = now
    audience = await hub.typing_audience(connection.user_id, chat_id)
    if audience is None:
        _error(connection, "not_found", "No such chat.")
        return
    profile_id, user_ids = audience
    if user_ids:
        await publish_typing(hub.cache, chat_id=chat_id, profile_id=profile_id, user_ids=user_ids)


def _parse(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _error(connection: Connection, code: str, detail: str) -> None:
    connection.offer(json.dumps({"type": "error", "code": code, "detail": detail}))


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    """Close unless the client is already gone; a stuck client does not hold us up."""
    if WebSocketState.DISCONNECTED in (websocket.application_state, websocket.client_state):
        return
    with suppress(Exception):
        await asyncio.wait_for(websocket.close(code=code, reason=reason), CLOSE_TIMEOUT)
