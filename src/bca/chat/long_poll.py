"""Long-polls of ``GET /v1/chats/{chat_id}/events?wait=...`` served in front of the framework.

A long-poll is the one request a client repeats for every event it receives: ten receivers of
a chat that gets 20 messages a second make 200 requests a second, each doing no more than
a plain read (authentication, the membership check, the page). FastAPI's routing, dependency
resolution, validation and serialisation cost about as much as that work itself (py-spy,
bench/README.md), so the common case skips them, as ``/v1/ws`` does: well-formed parameters
and a bearer token go straight to the same service (``event_reads.wait_for_events``), which reads
without a transaction on PostgreSQL (the request writes nothing), and mostly not at all (a
session found live moments ago is not read again, and the realtime hub knows when there is
nothing newer yet). Anything else (a
malformed or missing parameter, no token, a token or chat the service refuses) is handed to
the framework's route unchanged, which answers it the documented way: this path has no
error responses of its own.

Installed inside every middleware of the app, so request ids, metrics, the input and error
boundaries and backend faults (503) apply to it as to any route.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from bca.accounts.dependencies import user_id_from_token
from bca.backends import Backends
from bca.chat import event_reads
from bca.chat.schemas import MAX_EVENTS_PAGE, MAX_INDEX, MAX_WAIT_SECONDS, EventsPage
from bca.core.errors import AppError

_PATH = re.compile(
    r"/v1/chats/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/events"
)
_DIGITS = re.compile(r"[0-9]{1,10}")
_SECONDS = re.compile(r"[0-9]{1,2}(\.[0-9]{1,6})?")
_DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class _Route:
    """What the metrics read of a route: its template (the framework's routing sets the
    real route in the scope; this path is not routed)."""

    path: str


_ROUTE = _Route("/v1/chats/{chat_id}/events")


class LongPollEndpoint:
    """ASGI middleware: serves well-formed, authenticated long-polls, passes on the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = _long_poll(scope) if scope["type"] == "http" else None
        page = await _serve(scope, request) if request is not None else None
        if page is None:
            await self.app(scope, receive, send)
            return
        body = page.model_dump_json().encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True, slots=True)
class _LongPoll:
    chat_id: uuid.UUID
    token: str
    after: int
    limit: int
    wait: float


def _long_poll(scope: Scope) -> _LongPoll | None:
    """The request's parameters if it is a long-poll this path serves; None for any other
    request, and for anything the route would validate differently or refuse."""
    if scope["method"] != "GET":
        return None
    matched = _PATH.fullmatch(scope["path"])
    if matched is None:
        return None
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(scope["query_string"].decode("latin-1")):
        if name in parameters:
            return None
        parameters[name] = value
    after = parameters.get("after", "0")
    limit = parameters.get("limit", str(_DEFAULT_LIMIT))
    wait = parameters.get("wait", "")
    if not (_DIGITS.fullmatch(after) and _DIGITS.fullmatch(limit) and _SECONDS.fullmatch(wait)):
        return None
    if (
        not (int(after) <= MAX_INDEX and 1 <= int(limit) <= MAX_EVENTS_PAGE)
        or not 0 < float(wait) <= MAX_WAIT_SECONDS
    ):
        return None
    token = _bearer_token(scope)
    if token is None:
        return None
    return _LongPoll(uuid.UUID(matched[1]), token, int(after), int(limit), float(wait))


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token if scheme.lower() == "bearer" and token else None
    return None


async def _serve(scope: Scope, request: _LongPoll) -> EventsPage | None:
    """The page, or None when the route must answer (an invalid token, not a participant)."""
    backends: Backends = scope["app"].state.backends
    try:
        user_id = await user_id_from_token(backends, request.token)
        if user_id is None:
            return None
        scope.setdefault("state", {})["user_id"] = user_id
        scope["route"] = _ROUTE
        return await event_reads.wait_for_events(
            backends,
            user_id=user_id,
            chat_id=request.chat_id,
            after=request.after,
            limit=request.limit,
            wait=request.wait,
        )
    except AppError:
        return None
