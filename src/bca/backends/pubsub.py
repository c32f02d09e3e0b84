"""The pub/sub port: what writers announce to every instance, and what a long-poll waits on.

Writers (chat, accounts) publish here, through the cache's pub/sub, after their transaction
commits; the realtime hub (``bca.realtime.hub``) is the one subscriber that relays to sockets
and long-poll waiters, and implements :class:`ChatEvents` for the waiters. So no domain imports
the realtime package, and the hub imports no domain.

Why one shared channel for chat: each event is published once with the ids of the users who
may receive it (computed in the writing transaction, so membership changes take effect exactly
at their event); every instance filters by the users connected to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends.cache import Cache
from bca.core.db import outbox
from bca.core.faults import is_backend_unavailable

logger = logging.getLogger(__name__)

CHAT_CHANNEL = "bca:chat"
REVOCATIONS_CHANNEL = "bca:revocations"


def _dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def publish_event_after_commit(
    session: AsyncSession,
    cache: Cache,
    *,
    chat_id: uuid.UUID,
    event: dict[str, Any],
    user_ids: Iterable[uuid.UUID],
    departed_user_id: uuid.UUID | None = None,
) -> None:
    """Announce a chat event to every instance once (and only if) its transaction commits.

    ``user_ids`` are the users who may receive it: the participants after the change, plus
    the one who just left or was kicked (``departed_user_id``), who gets this last event.
    """
    recipients = {str(user_id) for user_id in user_ids}
    if departed_user_id is not None:
        recipients.add(str(departed_user_id))
    message = _dumps(
        {
            "kind": "event",
            "chat_id": str(chat_id),
            "user_ids": sorted(recipients),
            "departed_user_id": str(departed_user_id) if departed_user_id else None,
            "event": event,
        }
    )

    async def publish() -> None:
        await cache.publish(CHAT_CHANNEL, message)

    outbox(session).after_commit(publish)


async def publish_sync_hints(cache: Cache, user_ids: Iterable[uuid.UUID]) -> None:
    """Tell these users' sockets, on every instance, that their sync change logs grew (one
    message for a transaction's users; called after the commit by the change log's hook)."""
    users = sorted({str(user_id) for user_id in user_ids})
    if not users:
        return
    try:
        await cache.publish(CHAT_CHANNEL, _dumps({"kind": "sync", "user_ids": users}))
    except Exception as error:
        # A hint is a courtesy (clients also pull on reconnect): an outage costs one line.
        if not is_backend_unavailable(error):
            raise
        logger.warning("sync hint not published (%s)", type(error).__name__)


async def publish_typing(
    cache: Cache, *, chat_id: uuid.UUID, profile_id: uuid.UUID, user_ids: Iterable[uuid.UUID]
) -> None:
    message = {
        "kind": "typing",
        "chat_id": str(chat_id),
        "profile_id": str(profile_id),
        "user_ids": sorted(str(user_id) for user_id in user_ids),
    }
    await cache.publish(CHAT_CHANNEL, _dumps(message))


async def publish_revocations(cache: Cache, session_ids: Iterable[uuid.UUID]) -> None:
    """Sockets of these sessions close at once, on every instance."""
    await cache.publish(
        REVOCATIONS_CHANNEL, _dumps({"session_ids": [str(sid) for sid in session_ids]})
    )


class ChatWaiter(Protocol):
    """A long-poll request's mailbox of the events published for its chat."""

    woken: asyncio.Event

    def take(self, user_id: uuid.UUID) -> list[dict[str, Any]] | None:
        """The events handed over so far, if all were addressed to ``user_id``; None when the
        caller must read the database instead (delivery broke, or an event was not for them)."""
        ...


class ChatEvents(Protocol):
    """What chat's long-poll waits on, and what the unbroken subscription knows of a chat
    (the realtime hub implements it)."""

    def watch(self, chat_id: uuid.UUID) -> AbstractAsyncContextManager[ChatWaiter]: ...

    def caught_up(self, chat_id: uuid.UUID, user_id: uuid.UUID, after: int) -> bool:
        """True when event ``after`` is the chat's newest and went to the user as a
        participant: a long-poll from it has nothing to read. False means: read."""
        ...

    async def close(self) -> None: ...
