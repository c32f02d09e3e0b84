"""The event log every change to a chat writes: the index, the event, the announcement.

Every change to a chat is an event with the chat's next index. Messages, edits and deletions
take the index first (one UPDATE locks the chat and numbers the event), then check that the
writer takes part, so the chat's lock is held only from the allocation to the commit and
nothing in that window reads the chat's history; a post (:func:`append_message`) writes
everything else in one more statement. Membership changes lock first
(:func:`locked_membership`) since they may end without an event. The realtime publish and the
push task follow the commit.

Chat *activity* (the last index, unread counts) is not part of the sync change log: clients
learn it from the events. Writing an event reads the chat up to it for its author, whose own
view of the chat (their read marker) is the one change-log entry a message writes.

Each participant acts in a chat as one of their profiles, fixed when they join
(``my_profile_id``); a person takes part in a chat with one profile at most.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bca.backends import Backends
from bca.backends.pubsub import publish_event_after_commit
from bca.chat import message_repository, repository
from bca.chat.models import Chat, ChatEvent, Participant
from bca.chat.repository import ChatView, Claimed
from bca.chat.schemas import (
    EventRead,
)
from bca.core.db import outbox
from bca.core.errors import NotFound
from bca.core.time import utcnow
from bca.sync.changelog import touch_held


def direct_key(one: uuid.UUID, other: uuid.UUID) -> str:
    low, high = sorted((str(one), str(other)))
    return f"{low}:{high}"


def idempotency_scope(chat_id: uuid.UUID) -> str:
    return f"chat:{chat_id}"


# --- the event log ---------------------------------------------------------------------------


async def append(
    session: AsyncSession,
    chat: Chat,
    *,
    type: str,
    profile_id: uuid.UUID,
    body: str | None = None,
    target_profile_id: uuid.UUID | None = None,
    read: bool = True,
) -> ChatEvent:
    """Write the chat's next event (membership changes, which hold the chat's lock already).

    ``read``: the author has read the chat up to their own event (their caller records the
    chat's change for everyone anyway).
    """
    now = utcnow()
    index = await repository.allocate_index(session, chat.id, now=now)
    if index is None:
        raise NotFound()
    if read:
        await repository.mark_read(session, chat_id=chat.id, profile_id=profile_id, index=index)
    # The UPDATE bypassed the ORM; tell the loaded row without marking it dirty.
    set_committed_value(chat, "last_event_index", index)
    set_committed_value(chat, "last_event_at", now)
    event = ChatEvent(
        chat_id=chat.id,
        index=index,
        type=type,
        profile_id=profile_id,
        created_at=now,
        body=body,
        target_profile_id=target_profile_id,
    )
    session.add(event)
    return event


def announce(
    session: AsyncSession,
    backends: Backends,
    event: EventRead,
    *,
    user_ids: Sequence[uuid.UUID],
    departed_user_id: uuid.UUID | None = None,
) -> None:
    publish_event_after_commit(
        session,
        backends.cache,
        chat_id=event.chat_id,
        event=event.model_dump(mode="json"),
        user_ids=user_ids,
        departed_user_id=departed_user_id,
    )


def record_own_view(session: AsyncSession, chat_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The chat changed as one participant sees it (read marker, mute), for them alone; they
    take part (checked by the caller in this transaction), so their copy holds the chat."""
    touch_held(session, user_id=user_id, entity="chat", entity_id=str(chat_id))


async def locked_membership(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Chat, Participant]:
    """Lock the chat, then find the caller in it; anyone else gets 404."""
    chat = await repository.lock_chat(session, chat_id)
    if chat is None:
        raise NotFound()
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is None:
        raise NotFound()
    return chat, me


@dataclass(frozen=True)
class Claim:
    """The next index of a chat, taken by a writer that takes part in it."""

    chat_id: uuid.UUID
    chat: Claimed
    profile_id: uuid.UUID
    members: list[uuid.UUID]
    now: datetime

    @property
    def index(self) -> int:
        return self.chat.index


async def claim(session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID) -> Claim:
    """Number the caller's next event first, then check they take part (404 rolls it back).

    For writes that end in exactly one event or an error: one statement locks the chat and
    allocates, one more (under the lock, so it sees every committed join and departure) finds
    the caller and everyone the event goes to.
    """
    now = utcnow()
    chat = await repository.claim_index(session, chat_id, now=now)
    if chat is None:
        raise NotFound()
    present = await repository.present_participants(session, chat_id)
    me = next((p for p in present if p.user_id == user_id and p.alive), None)
    if me is None:
        raise NotFound()
    # A participant whose profile was deleted no longer sees the chat: nothing goes to them.
    members = sorted({participant.user_id for participant in present if participant.alive})
    return Claim(chat_id, chat, me.profile_id, members, now)


_WRITER_QUEUES: weakref.WeakValueDictionary[uuid.UUID, asyncio.Lock] = weakref.WeakValueDictionary()


async def _queue_for(session: AsyncSession, chat_id: uuid.UUID) -> None:
    """Wait for this process's earlier posters to the chat to commit or roll back first.

    The chat's row lock alone keeps indexes right across processes, but PostgreSQL does not
    grant it in arrival order: with 20 posters in one chat, some waited four times the median
    (p99 280 ms at p50 50 ms). An ``asyncio.Lock`` is first come, first served, and leaves at
    most one waiter per process at the row lock (p99 ~120 ms, and more messages a second;
    bench/README.md). Released when the transaction ends either way; the lock object lives
    only while someone holds or awaits it.
    """
    queue = _WRITER_QUEUES.get(chat_id)
    if queue is None:
        queue = _WRITER_QUEUES[chat_id] = asyncio.Lock()
    await queue.acquire()

    async def leave() -> None:
        queue.release()

    outbox(session).after_commit(leave)
    outbox(session).on_rollback(leave)


async def append_message(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    user_id: uuid.UUID,
    body: str | None,
    file_id: uuid.UUID | None,
    reply_to: int | None,
    idempotency_record_id: uuid.UUID | None,
) -> Claim:
    """Number and write a message: two statements under the chat's lock (the index, then the
    event with the poster's read marker and everyone it goes to), 404 if the poster does not
    take part (rolling the index back). The poster's change-log entry follows in the commit."""
    await _queue_for(session, chat_id)
    now = utcnow()
    chat = await repository.claim_index(session, chat_id, now=now)
    if chat is None:
        raise NotFound()
    written = await message_repository.write_message(
        session,
        chat_id=chat_id,
        user_id=user_id,
        index=chat.index,
        created_at=now,
        body=body,
        file_id=file_id,
        reply_to=reply_to,
        idempotency_record_id=idempotency_record_id,
    )
    if written is None:
        raise NotFound()
    record_own_view(session, chat_id, user_id)
    members = sorted({participant.user_id for participant in written.present if participant.alive})
    return Claim(chat_id, chat, written.poster_profile_id, members, now)


async def view_of(session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID) -> ChatView:
    view = await repository.chat_view(session, chat_id=chat_id, user_id=user_id)
    if view is None:
        raise NotFound()
    return view


async def read_own_event(session: AsyncSession, claim: Claim, user_id: uuid.UUID) -> None:
    """Writing an event means having read the chat up to it: the author's marker moves."""
    await repository.mark_read(
        session, chat_id=claim.chat_id, profile_id=claim.profile_id, index=claim.index
    )
    record_own_view(session, claim.chat_id, user_id)
