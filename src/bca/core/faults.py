"""Backend outages answered as 503 ``unavailable``, never as 500.

When PostgreSQL restarts or Redis is unreachable, the request fails with whatever its driver
raises: redis-py's ``ConnectionError``, an asyncpg error wrapped by SQLAlchemy, a bare
``ConnectionRefusedError`` from a new connection, "the database system is starting up". None of
them is a defect of the request or of this server: the client should try again shortly, and a
503 with ``Retry-After`` tells it so. A read (GET, HEAD) that met a dropped connection is run
once more first, on a fresh one, since most outages a client meets are a restart's instant.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Iterator

import redis.exceptions
import sqlalchemy.exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bca.core.problems import problem_response

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
READ_RETRY_DELAY_SECONDS = 0.2
"""Before a read is run again: enough for a pool to notice a restart, short for a client."""

_READ_METHODS = frozenset({"GET", "HEAD"})
_CONNECTION_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.ETIMEDOUT,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.EPIPE,
    }
)
# SQLSTATE classes of a server that cannot serve now: connection exceptions (08), operator
# intervention such as a shutdown or "the database system is starting up" (57P), and too
# many connections (53300).
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53300")
# Drivers' own errors for a connection that is gone (asyncpg; botocore for S3), matched by
# name: core names neither driver.
_CONNECTION_ERROR_NAMES = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "ClientCannotConnectError",
        "PostgresConnectionError",
    }
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, the errors it wraps (SQLAlchemy's ``orig``) and those it was raised from."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for wrapped in (
            getattr(current, "orig", None),
            current.__cause__,
            current.__context__,
        ):
            if isinstance(wrapped, BaseException):
                pending.append(wrapped)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)


def _is_connection_failure(error: BaseException) -> bool:
    if isinstance(error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return True  # BusyLoadingError (a Redis still loading its data) is one of these
    if isinstance(error, redis.exceptions.ReadOnlyError):
        return True  # a replica during a failover
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return True  # the DB-API's own word for it (SQLite: "database is locked" past its wait)
    if isinstance(error, sqlalchemy.exc.TimeoutError):
        return True  # no pooled connection came free in time
    if isinstance(error, ConnectionError | TimeoutError):
        return True  # builtin: refused, reset, aborted; asyncio's timeout is TimeoutError
    if isinstance(error, OSError) and (
        error.errno in _CONNECTION_ERRNOS or str(error).startswith("Multiple exceptions")
    ):
        return True  # asyncio's connect to several addresses of one host, all refused
    if type(error).__name__ in _CONNECTION_ERROR_NAMES:
        return True
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES)


def is_backend_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means a backend (database, cache) cannot be reached just now."""
    return any(_is_connection_failure(link) for link in _chain(error))


class BackendFaults:
    """Pure ASGI middleware: an outage becomes 503 ``unavailable`` with ``Retry-After``.

    Innermost of the middleware, so that request ids and metrics see the 503. A read that
    failed before its response started is run once more; a write never is (the client retries
    it, with its ``Idempotency-Key`` where it matters). A response already under way cannot be
    replaced: the error then propagates as any other.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        received: list[Message] = []

        async def recording_receive() -> Message:
            message = await receive()
            received.append(message)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, recording_receive, tracking_send)
            return
        except Exception as error:
            if started or not is_backend_unavailable(error):
                raise
            if scope["method"] not in _READ_METHODS:
                await self._unavailable(scope, receive, send, error)
                return
            logger.warning("a read met a backend fault, running it again: %s", _first_line(error))

        await asyncio.sleep(READ_RETRY_DELAY_SECONDS)
        replay = list(received)

        async def replaying_receive() -> Message:
            return replay.pop(0) if replay else await receive()

        try:
            await self.app(scope, replaying_receive, tracking_send)
        except Exception as error:
            if started or not is_backend_unavailable(error):
                raise
            await self._unavailable(scope, receive, send, error)

    @staticmethod
    async def _unavailable(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
        logger.error("backend unavailable, answered 503: %s", _first_line(error))
        response = problem_response(
            status=503,
            code="unavailable",
            detail="A backend service is not available; try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        await response(scope, receive, send)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
