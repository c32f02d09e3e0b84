"""The mailboxes the hub hands messages to: a WebSocket connection's (bounded, in each chat's
index order) and a long-poll request's; and the close codes a connection ends with."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

CLOSE_NORMAL = 1000
CLOSE_RESTART = 1012
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_SLOW = 4408

REORDER_WINDOW = 0.25
"""Seconds an event that overtook an earlier one of its chat is held back for the earlier one."""


@dataclass(slots=True)
class _Ordering:
    """Per-chat delivery order of one connection (made when its first event arrives)."""

    next_index: dict[str, int] = field(default_factory=dict)
    held: dict[str, dict[int, str]] = field(default_factory=dict)
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)


class Connection:
    """One WebSocket's mailbox: a bounded list of ready-to-send texts and a close request.

    Everything the hub does to a connection is synchronous (``offer``, ``close``), so one slow
    client can never hold up the dispatch to the others; only the connection's own writer
    awaits the network. Kept small (slots, a plain list, state made on first use): a server
    holds tens of thousands of these.
    """

    __slots__ = ("_limit", "_ordering", "_pending", "_wakeup", "closing", "session_id", "user_id")

    def __init__(self, *, user_id: uuid.UUID, session_id: uuid.UUID, limit: int) -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.closing: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self._limit = limit
        self._pending: list[str] = []
        self._wakeup: asyncio.Future[None] | None = None
        self._ordering: _Ordering | None = None

    def offer(self, text: str) -> None:
        if self.closing.done():
            return
        if len(self._pending) >= self._limit:
            self.close(CLOSE_TOO_SLOW, "too far behind; reconnect and catch up with the events API")
            return
        self._pending.append(text)
        self._wake()

    def take(self) -> list[str]:
        """Everything waiting to be sent, oldest first."""
        taken, self._pending = self._pending, []
        return taken

    async def wait(self) -> None:
        """Until something is offered (or the connection is closing)."""
        if self._pending or self.closing.done():
            return
        self._wakeup = asyncio.get_running_loop().create_future()
        try:
            await self._wakeup
        finally:
            self._wakeup = None

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def close(self, code: int, reason: str) -> None:
        if not self.closing.done():
            self.closing.set_result((code, reason))
            self._wake()
        if self._ordering is not None:
            for timer in self._ordering.timers.values():
                timer.cancel()
            self._ordering.timers.clear()

    def offer_event(self, chat_id: str, index: int, text: str, *, departed: bool) -> None:
        """Deliver events of one chat in index order when writers' publishes overtake.

        Two transactions commit in index order, but their after-commit publishes race (on one
        instance or across several). An event that arrives ahead of a missing predecessor is
        held for up to REORDER_WINDOW; if the gap does not fill by then, the held events go out
        anyway and the client fills the gap from the events API.
        """
        if self._ordering is None:
            self._ordering = _Ordering()
        order = self._ordering
        expected = order.next_index.get(chat_id)
        if expected is None or index == expected:
            self._send_in_order(order, chat_id, index, text)
        elif index < expected:
            self.offer(text)  # late, after its window: out of order beats lost
        else:
            order.held.setdefault(chat_id, {})[index] = text
            if chat_id not in order.timers:
                loop = asyncio.get_running_loop()
                order.timers[chat_id] = loop.call_later(REORDER_WINDOW, self._flush, order, chat_id)
        if departed:
            # The user left with this event; if they come back, numbering restarts from there.
            self._flush(order, chat_id)
            order.next_index.pop(chat_id, None)

    def _send_in_order(self, order: _Ordering, chat_id: str, index: int, text: str) -> None:
        self.offer(text)
        order.next_index[chat_id] = index + 1
        held = order.held.get(chat_id)
        while held and order.next_index[chat_id] in held:
            following = order.next_index[chat_id]
            self.offer(held.pop(following))
            order.next_index[chat_id] = following + 1
        if not held:
            order.held.pop(chat_id, None)
            timer = order.timers.pop(chat_id, None)
            if timer is not None:
                timer.cancel()

    def _flush(self, order: _Ordering, chat_id: str) -> None:
        timer = order.timers.pop(chat_id, None)
        if timer is not None:
            timer.cancel()
        held = order.held.pop(chat_id, {})
        for index in sorted(held):
            self.offer(held[index])
            order.next_index[chat_id] = index + 1


class Waiter:
    """A long-poll request's mailbox: the events published for its chat since it started."""

    def __init__(self) -> None:
        self.woken = asyncio.Event()
        self._handed: list[tuple[list[str], dict[str, Any]]] = []
        self._interrupted = False

    def hand(self, recipients: list[str], event: dict[str, Any]) -> None:
        self._handed.append((recipients, event))
        self.woken.set()

    def interrupt(self) -> None:
        self._interrupted = True
        self.woken.set()

    def take(self, user_id: uuid.UUID) -> list[dict[str, Any]] | None:
        """The events handed over so far, if all were addressed to ``user_id``; None when the
        caller must read the database instead (delivery broke, or an event was not for them)."""
        handed, self._handed = self._handed, []
        interrupted, self._interrupted = self._interrupted, False
        self.woken.clear()
        me = str(user_id)
        if interrupted or any(me not in recipients for recipients, _ in handed):
            return None
        return [event for _, event in handed]
