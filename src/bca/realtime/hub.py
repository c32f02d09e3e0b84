"""The realtime hub: one per process (made by ``bca.wiring``), the one subscriber of the
pub/sub port (``bca.backends.pubsub``), relaying each message to this instance's WebSocket
connections and long-poll waiters (it implements the port's ``ChatEvents`` for those).

Every instance hears every chat event and filters by the users connected to it: a look at each
event, which is cheap next to a Redis subscription per user or per chat.

The hub listens only while someone needs it (a connection or a waiter): the first one starts the
subscription and waits until it is live (a probe message published to the channel came back);
once the last one has been gone for ``IDLE_SECONDS`` it stops, so that long-polls, which come
and go between events, do not resubscribe each time. ``close()`` stops it at shutdown.

If the subscription breaks, events may have been lost: every connection is closed with 1012
(reconnect and catch up with ``GET /v1/chats/{id}/events``) and every waiter is woken to re-read
the database, then the hub subscribes again.

While it listens without a break, the hub also knows what spares a receiver's next long-poll
the database (it re-polls for every event it gets): the newest event it relayed of each chat,
with its recipients where long-polls wait (``caught_up``). That is forgotten whenever the
subscription ends, since what it missed is unknown.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from bca.backends.cache import Cache
from bca.backends.pubsub import CHAT_CHANNEL, REVOCATIONS_CHANNEL
from bca.core.errors import Unavailable
from bca.core.faults import is_backend_unavailable
from bca.realtime.mailboxes import (
    CLOSE_NORMAL,
    CLOSE_RESTART,
    CLOSE_UNAUTHORIZED,
    Connection,
    Waiter,
)

logger = logging.getLogger(__name__)

TypingAudience = Callable[
    [uuid.UUID, uuid.UUID], Awaitable[tuple[uuid.UUID, list[uuid.UUID]] | None]
]
"""(user, chat) -> the user's profile in the chat and the other participants' users, or None
when the user does not take part: chat's rule, handed in by the wiring."""

QUEUE_LIMIT = 512
"""Messages a connection may have waiting to be sent; a client further behind is disconnected."""
READY_TIMEOUT = 10.0
IDLE_SECONDS = 60.0
"""How long the hub keeps listening after its last connection or waiter left."""
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)
RELAYED_CHATS = 10_000
"""Chats whose newest relayed index the hub keeps (the least recently relayed go first)."""

SYNC_HINT = '{"type":"sync"}'


class HubUnavailable(Unavailable):
    detail = "Realtime delivery is not available right now; try again shortly."


@dataclass(frozen=True, slots=True)
class _Relayed:
    """A chat's newest event relayed in this subscription."""

    index: int
    recipients: frozenset[str]
    departed: str | None


class Hub:
    def __init__(self, cache: Cache, *, typing_audience: TypingAudience) -> None:
        self.cache = cache
        self.typing_audience = typing_audience
        self._lock = asyncio.Lock()
        self._holders = 0
        self._task: asyncio.Task[None] | None = None
        self._idle_stop: asyncio.TimerHandle | None = None
        self._ready = asyncio.Event()
        self._probe: str | None = None
        self._by_user: defaultdict[uuid.UUID, set[Connection]] = defaultdict(set)
        self._by_session: defaultdict[uuid.UUID, set[Connection]] = defaultdict(set)
        self._waiters: defaultdict[uuid.UUID, set[Waiter]] = defaultdict(set)
        self._relayed: OrderedDict[uuid.UUID, _Relayed] = OrderedDict()

    @property
    def running(self) -> bool:
        return self._task is not None

    def caught_up(self, chat_id: uuid.UUID, user_id: uuid.UUID, after: int) -> bool:
        """True when event ``after`` is the newest of the chat this subscription relayed, and
        it went to the user as a participant (not as the one who left with it): then there is
        nothing newer to read, but what the hub is about to relay. Call it watching the chat."""
        relayed = self._relayed.get(chat_id)
        if relayed is None or relayed.index != after or not self._ready.is_set():
            return False
        me = str(user_id)
        return me in relayed.recipients and me != relayed.departed

    @asynccontextmanager
    async def connect(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID, limit: int | None = None
    ) -> AsyncIterator[Connection]:
        """Register a connection; it receives everything published after this returns."""
        connection = Connection(user_id=user_id, session_id=session_id, limit=limit or QUEUE_LIMIT)
        self._by_user[user_id].add(connection)
        self._by_session[session_id].add(connection)
        try:
            await self._retain()
            try:
                yield connection
            finally:
                await self._release()
        finally:
            connection.close(CLOSE_NORMAL, "")
            _discard(self._by_user, user_id, connection)
            _discard(self._by_session, session_id, connection)

    @asynccontextmanager
    async def watch(self, chat_id: uuid.UUID) -> AsyncIterator[Waiter]:
        """A mailbox of the chat's events published from now on (woken when delivery broke)."""
        waiter = Waiter()
        self._waiters[chat_id].add(waiter)
        try:
            await self._retain()
            try:
                yield waiter
            finally:
                await self._release()
        finally:
            _discard(self._waiters, chat_id, waiter)

    async def close(self) -> None:
        """Stop listening and close every connection (server shutdown)."""
        async with self._lock:
            self._cancel_idle_stop()
            task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        self._forget()
        # 1012, as uvicorn closes every socket when the server stops (before this runs): one
        # code, one remedy for the client (reconnect and catch up).
        self._interrupt(CLOSE_RESTART, "server shutting down")

    async def _retain(self) -> None:
        async with self._lock:
            self._holders += 1
            self._cancel_idle_stop()
            if self._task is None:
                self._ready = asyncio.Event()
                self._task = asyncio.create_task(self._listen(), name="bca-realtime-hub")
            ready = self._ready
        if ready.is_set():
            return
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                await ready.wait()
        except TimeoutError:
            await self._release()
            raise HubUnavailable() from None

    async def _release(self) -> None:
        async with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._task is not None and self._idle_stop is None:
                loop = asyncio.get_running_loop()
                self._idle_stop = loop.call_later(IDLE_SECONDS, self._stop_if_idle)

    def _cancel_idle_stop(self) -> None:
        if self._idle_stop is not None:
            self._idle_stop.cancel()
            self._idle_stop = None

    def _stop_if_idle(self) -> None:
        self._idle_stop = None
        if self._holders == 0 and self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            self._forget()

    def _forget(self) -> None:
        """When a subscription ends: the next one may miss what is published in between."""
        self._relayed.clear()

    async def _listen(self) -> None:
        attempt = 0
        cache = self.cache
        while True:
            nonce = uuid.uuid4().hex
            try:
                async with cache.subscribe(CHAT_CHANNEL, REVOCATIONS_CHANNEL) as messages:
                    self._probe = nonce
                    await cache.publish(CHAT_CHANNEL, json.dumps({"kind": "probe", "nonce": nonce}))
                    async for channel, data in messages:
                        if self._dispatch(channel, data):
                            attempt = 0
                logger.warning("realtime subscription ended; resubscribing")
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # An outage fails every retry the same way: one line each, not a traceback each.
                if is_backend_unavailable(error):
                    logger.warning("realtime subscription failed (%s); resubscribing", error)
                else:
                    logger.exception("realtime subscription failed; resubscribing")
            self._forget()
            if self._ready.is_set():
                self._ready.clear()
                self._interrupt(CLOSE_RESTART, "realtime delivery interrupted; reconnect")
            await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
            attempt += 1

    def _interrupt(self, code: int, reason: str) -> None:
        for connections in list(self._by_user.values()):
            for connection in list(connections):
                connection.close(code, reason)
        for waiters in list(self._waiters.values()):
            for waiter in waiters:
                waiter.interrupt()

    def _dispatch(self, channel: str, data: str) -> bool:
        """Route one message; True once the subscription is known to be live."""
        try:
            message = json.loads(data)
            if channel == REVOCATIONS_CHANNEL:
                self._revoke(message)
            elif message.get("kind") == "probe":
                if message.get("nonce") == self._probe:
                    self._ready.set()
            elif message.get("kind") == "event":
                self._deliver_event(message)
            elif message.get("kind") == "typing":
                self._deliver_typing(message)
            elif message.get("kind") == "sync":
                self._deliver_sync(message)
        except (ValueError, KeyError, TypeError, AttributeError):
            logger.warning("ignored a malformed realtime message on %s", channel)
        return self._ready.is_set()

    def _revoke(self, message: dict[str, Any]) -> None:
        for raw in message.get("session_ids", []):
            for connection in list(self._by_session.get(uuid.UUID(raw), ())):
                connection.close(CLOSE_UNAUTHORIZED, "session revoked")

    def _deliver_event(self, message: dict[str, Any]) -> None:
        chat_id = str(message["chat_id"])
        event = message["event"]
        index = int(event["index"])
        departed = message.get("departed_user_id")
        text = json.dumps({"type": "event", "event": event}, separators=(",", ":"))
        for raw in message["user_ids"]:
            user_id = uuid.UUID(raw)
            for connection in list(self._by_user.get(user_id, ())):
                connection.offer_event(chat_id, index, text, departed=raw == departed)
        chat = uuid.UUID(chat_id)
        waiters = self._waiters.get(chat, ())
        self._remember_relayed(chat, index, message["user_ids"] if waiters else (), departed)
        for waiter in waiters:
            waiter.hand(message["user_ids"], event)

    def _remember_relayed(
        self, chat: uuid.UUID, index: int, recipients: Iterable[str], departed: str | None
    ) -> None:
        # Every chat's newest index, so that an older event arriving late is never taken for
        # the newest; the recipients only where a long-poll waits (they cost memory).
        known = self._relayed.get(chat)
        if known is None or index > known.index:
            self._relayed[chat] = _Relayed(index, frozenset(recipients), departed)
        self._relayed.move_to_end(chat)
        if len(self._relayed) > RELAYED_CHATS:
            self._relayed.popitem(last=False)

    def _deliver_typing(self, message: dict[str, Any]) -> None:
        text = json.dumps(
            {"type": "typing", "chat_id": message["chat_id"], "profile_id": message["profile_id"]},
            separators=(",", ":"),
        )
        for raw in message["user_ids"]:
            for connection in list(self._by_user.get(uuid.UUID(raw), ())):
                connection.offer(text)

    def _deliver_sync(self, message: dict[str, Any]) -> None:
        """A hint that the user's sync change log grew: pull ``/v1/sync/changes`` (or reload)."""
        for raw in message["user_ids"]:
            for connection in list(self._by_user.get(uuid.UUID(raw), ())):
                connection.offer(SYNC_HINT)


def _discard(index: defaultdict[uuid.UUID, set[Any]], key: uuid.UUID, item: Any) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(item)
        if not members:
            del index[key]
