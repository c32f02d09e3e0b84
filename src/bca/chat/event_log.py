"""Writes to a chat's event log: the index, the event, the author's read marker, the announcement.

Every change to a chat is an event with the chat's next index, written in three steps, each
with one statement of its own here and nowhere else:

- :func:`take_index` numbers the event (``UPDATE chats ... RETURNING``): it locks the chat's row
  until the commit, so concurrent writers of one chat queue there and the indexes are gapless
  and unique (a rolled-back writer's increment is rolled back with it);
- :func:`write_event` inserts the event and returns the row the database wrote
  (``INSERT ... RETURNING``), which is what the caller renders;
- :func:`read_up_to` moves a participant's read marker forward: writing an event means having
  read the chat up to it, and ``POST /v1/chats/{id}/read`` is the same statement.

Messages, edits and deletions take the index first (:func:`open_event`), then check that the
writer takes part, so the chat's lock is held only from the allocation to the commit and
nothing in that window reads the chat's history. A post (:func:`write_message`) runs the marker,
the event, the key's result and the recipients as one statement on PostgreSQL (data-modifying
CTEs built from the same statements). Membership changes lock the chat first (they may end
without an event), then :func:`write_chat_event`. The realtime publish (:func:`announce`) and
the push task follow the commit.

Chat *activity* (the last index, unread counts) is not part of the sync change log: clients
learn it from the events. The author's own view of the chat (their read marker) is the one
change-log entry a message writes (:func:`record_own_view`).

Longer than most modules (~430 lines) on purpose: it is the log's one writer, and most of it
is the statements and why they are shaped so.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Select, bindparam, exists, insert, select, true, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bca.backends import Backends
from bca.backends.pubsub import publish_event_after_commit
from bca.chat.models import Chat, ChatEvent, IdempotencyRecord, Participant
from bca.chat.repository import PRESENT_PARTICIPANTS
from bca.chat.schemas import EventRead
from bca.core.db import execute_core, outbox
from bca.core.errors import Forbidden, NotFound
from bca.core.time import utcnow
from bca.profiles.models import Profile
from bca.sync.changelog import touch_held

MESSAGE = "message"
MESSAGE_EDITED = "message_edited"
MESSAGE_DELETED = "message_deleted"
MESSAGE_PREVIEW = "message_preview"

# The statements are built once at import (building a SQLAlchemy statement costs more CPU
# than running it; see ``core.db.execute_core``).
_EVENT = ChatEvent.__table__.c
_CHAT = Chat.__table__.c
_PARTICIPANT = Participant.__table__.c

# --- the index -------------------------------------------------------------------------------

_TAKE_INDEX = (
    update(Chat)
    .where(Chat.id == bindparam("for_chat", type_=_CHAT.id.type))
    .values(
        last_event_index=Chat.last_event_index + 1,
        last_event_at=bindparam("at_time", type_=_CHAT.last_event_at.type),
    )
    .returning(Chat.last_event_index, Chat.owner_profile_id)
)


@dataclass(frozen=True)
class TakenIndex:
    """A chat's next event index, taken under the chat's row lock (held until the commit)."""

    chat_id: uuid.UUID
    index: int
    at: datetime
    owner_profile_id: uuid.UUID


async def take_index(session: AsyncSession, chat_id: uuid.UUID) -> TakenIndex:
    """Number the chat's next event (404 when the chat does not exist). Never
    ``max(index) + 1``, which races."""
    at = utcnow()
    row = (await execute_core(session, _TAKE_INDEX, {"for_chat": chat_id, "at_time": at})).first()
    if row is None:
        raise NotFound()
    return TakenIndex(chat_id, row[0], at, row[1])


# --- the read marker -------------------------------------------------------------------------

_READ_UP_TO = (
    # A live participant (their profile not deleted) has read the chat up to an event it has:
    # forward only, never past the chat's last event.
    update(Participant)
    .where(
        Participant.chat_id == bindparam("for_chat", type_=_PARTICIPANT.chat_id.type),
        Participant.user_id == bindparam("for_user", type_=_PARTICIPANT.user_id.type),
        Participant.left_at.is_(None),
        Participant.last_read_index
        < bindparam("at_index", type_=_PARTICIPANT.last_read_index.type),
        exists().where(Profile.id == Participant.profile_id, Profile.deleted_at.is_(None)),
        select(Chat.last_event_index).where(Chat.id == bindparam("for_chat")).scalar_subquery()
        >= bindparam("at_index"),
    )
    .values(last_read_index=bindparam("at_index"))
    .returning(Participant.profile_id)
)


async def read_up_to(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID, index: int
) -> uuid.UUID | None:
    """Move a live participant's read marker forward to ``index``, if the chat has that event:
    one statement. Their profile in the chat when it moved; None when nothing moved (not a
    participant, no such event yet, or read already: the caller finds out which if it must)."""
    parameters = {"for_chat": chat_id, "for_user": user_id, "at_index": index}
    moved: uuid.UUID | None = (await execute_core(session, _READ_UP_TO, parameters)).scalar()
    return moved


def record_own_view(session: AsyncSession, chat_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The chat changed as one participant sees it (read marker, mute), for them alone; they
    take part (checked by the caller in this transaction), so their copy holds the chat."""
    touch_held(session, user_id=user_id, entity="chat", entity_id=str(chat_id))


# --- the event -------------------------------------------------------------------------------

_NULLABLE_JSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
_EVENT_VALUES: dict[str, Any] = {
    "chat_id": bindparam("for_chat", type_=_EVENT.chat_id.type),
    "index": bindparam("at_index", type_=_EVENT.index.type),
    "type": bindparam("of_type", type_=_EVENT.type.type),
    "created_at": bindparam("at_time", type_=_EVENT.created_at.type),
    "body": bindparam("with_body", type_=_EVENT.body.type),
    "file_id": bindparam("with_file", type_=_EVENT.file_id.type),
    "target_index": bindparam("about_index", type_=_EVENT.target_index.type),
    "target_profile_id": bindparam("target_profile", type_=_EVENT.target_profile_id.type),
    # No prior state (no preview) is SQL NULL (JSON's ``null`` otherwise).
    "prior": bindparam("with_prior", type_=_NULLABLE_JSON),
    "preview": bindparam("with_preview", type_=_NULLABLE_JSON),
    # On a reaction event: the message's counts after it (``chat/reactions.py``), so the event
    # read back later is the one that was announced.
    "reactions": bindparam("with_reactions", type_=_NULLABLE_JSON),
}
_WRITE_EVENT = (
    insert(ChatEvent)
    .values(**_EVENT_VALUES, profile_id=bindparam("by_profile", type_=_EVENT.profile_id.type))
    .returning(*_EVENT)
)


def _event_parameters(
    taken: TakenIndex,
    *,
    type: str,
    body: str | None = None,
    file_id: uuid.UUID | None = None,
    target_index: int | None = None,
    target_profile_id: uuid.UUID | None = None,
    prior: dict[str, Any] | None = None,
    preview: dict[str, Any] | None = None,
    reactions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "for_chat": taken.chat_id,
        "at_index": taken.index,
        "of_type": type,
        "at_time": taken.at,
        "with_body": body,
        "with_file": file_id,
        "about_index": target_index,
        "target_profile": target_profile_id,
        "with_prior": prior,
        "with_preview": preview,
        "with_reactions": reactions,
    }


async def write_event(
    session: AsyncSession,
    taken: TakenIndex,
    *,
    type: str,
    profile_id: uuid.UUID,
    body: str | None = None,
    file_id: uuid.UUID | None = None,
    target_index: int | None = None,
    target_profile_id: uuid.UUID | None = None,
    prior: dict[str, Any] | None = None,
    preview: dict[str, Any] | None = None,
    reactions: dict[str, Any] | None = None,
) -> Mapping[str, Any]:
    """Write the event at the index taken, and return the row as the database wrote it."""
    parameters = _event_parameters(
        taken,
        type=type,
        body=body,
        file_id=file_id,
        target_index=target_index,
        target_profile_id=target_profile_id,
        prior=prior,
        preview=preview,
        reactions=reactions,
    )
    parameters["by_profile"] = profile_id
    row = (await execute_core(session, _WRITE_EVENT, parameters)).mappings().one()
    return cast(Mapping[str, Any], row)


async def forget_edits(session: AsyncSession, *, chat_id: uuid.UUID, index: int) -> dict[int, str]:
    """Clear the bodies that edit events of a deleted message carried; returns them by the
    edit's index (found through the target index, not by scanning the chat)."""
    edits = (
        ChatEvent.chat_id == chat_id,
        ChatEvent.target_index == index,
        ChatEvent.type == MESSAGE_EDITED,
        ChatEvent.body.is_not(None),
    )
    rows = await session.execute(select(ChatEvent.index, ChatEvent.body).where(*edits))
    bodies = {edit_index: body for edit_index, body in rows.all() if body is not None}
    if bodies:
        await session.execute(
            update(ChatEvent)
            .where(*edits)
            .values(body=None)
            .execution_options(synchronize_session=False)
        )
    return bodies


def announce(
    session: AsyncSession,
    backends: Backends,
    event: EventRead,
    *,
    user_ids: Sequence[uuid.UUID],
    departed_user_id: uuid.UUID | None = None,
) -> None:
    """Publish the event to its recipients after the commit (nothing if it rolls back)."""
    publish_event_after_commit(
        session,
        backends.cache,
        chat_id=event.chat_id,
        event=event.model_dump(mode="json"),
        user_ids=user_ids,
        departed_user_id=departed_user_id,
    )


# --- membership and chat events (the chat locked already) ------------------------------------


async def write_chat_event(
    session: AsyncSession,
    chat: Chat,
    *,
    type: str,
    profile_id: uuid.UUID,
    reader: uuid.UUID | None,
    body: str | None = None,
    target_index: int | None = None,
    target_profile_id: uuid.UUID | None = None,
) -> Mapping[str, Any]:
    """Write the chat's next event for a writer that holds the chat's lock already
    (``repository.lock_chat``), and move ``reader``'s (the author's user) read marker to it
    (None: their caller records the chat's change for everyone anyway)."""
    taken = await take_index(session, chat.id)
    if reader is not None:
        await read_up_to(session, chat_id=chat.id, user_id=reader, index=taken.index)
    # The UPDATE bypassed the ORM; tell the loaded row without marking it dirty.
    set_committed_value(chat, "last_event_index", taken.index)
    set_committed_value(chat, "last_event_at", taken.at)
    return await write_event(
        session,
        taken,
        type=type,
        profile_id=profile_id,
        body=body,
        target_index=target_index,
        target_profile_id=target_profile_id,
    )


# --- messages, edits and deletions (index first) ---------------------------------------------


@dataclass(frozen=True)
class OpenEvent:
    """An event about to be written: its index taken by a writer who takes part, with the
    writer's profile in the chat and the users the event goes to."""

    taken: TakenIndex
    profile_id: uuid.UUID
    recipients: list[uuid.UUID]

    @property
    def index(self) -> int:
        return self.taken.index


def recipients_of(present: Sequence[Any]) -> list[uuid.UUID]:
    """The users of the present participants (rows of ``PRESENT_PARTICIPANTS``): a participant
    whose profile was deleted no longer sees the chat, nothing goes to them."""
    return sorted({row[1] for row in present if row[2]})


def _writer(present: Sequence[Any], user_id: uuid.UUID) -> uuid.UUID:
    """The caller's profile among the present participants: 404 when they do not take part,
    403 while their message request is pending (they may read the chat, not write to it:
    ``chat/requests.py``). Checked on rows read anyway, so it costs no statement."""
    row = next((row for row in present if row[1] == user_id and row[2]), None)
    if row is None:
        raise NotFound()
    if not row[3]:
        raise Forbidden("Accept the message request before you write in this chat.")
    profile_id: uuid.UUID = row[0]
    return profile_id


async def open_event(session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID) -> OpenEvent:
    """Number the caller's next event first, then check they take part (404 rolls it back).

    For writes that end in exactly one event or an error: one statement locks the chat and
    allocates, one more (under the lock, so it sees every committed join and departure) finds
    the caller and everyone the event goes to.
    """
    taken = await take_index(session, chat_id)
    present = (await execute_core(session, PRESENT_PARTICIPANTS, {"for_chat": chat_id})).all()
    return OpenEvent(taken, _writer(present, user_id), recipients_of(present))


async def open_server_event(
    session: AsyncSession, *, chat_id: uuid.UUID
) -> tuple[TakenIndex, list[uuid.UUID]]:
    """Number an event the server writes about a message on its author's behalf (a link
    preview), whoever takes part now: the index (the chat's lock) and the users it goes to,
    two statements."""
    taken = await take_index(session, chat_id)
    present = (await execute_core(session, PRESENT_PARTICIPANTS, {"for_chat": chat_id})).all()
    return taken, recipients_of(present)


_WRITER_QUEUES: weakref.WeakValueDictionary[uuid.UUID, asyncio.Lock] = weakref.WeakValueDictionary()


async def wait_turn(session: AsyncSession, chat_id: uuid.UUID) -> None:
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


_STORE_RESULT = (
    update(IdempotencyRecord)
    .where(IdempotencyRecord.id == bindparam("for_record", type_=IdempotencyRecord.id.type))
    .values(result=bindparam("with_result", type_=IdempotencyRecord.result.type))
)


def _write_message_at_once() -> Select[Any]:
    """PostgreSQL: the poster's read marker, the event, the key's result and the recipients in
    one statement (data-modifying CTEs of :data:`_READ_UP_TO` and the event's values), so the
    chat's lock is held for one round trip less than four. Its snapshot is taken after the lock
    was granted, so it sees every committed join and departure; the event is inserted only if
    the marker moved (the poster takes part), and the rows are the recipients, each with the
    event as written (none when the poster does not take part)."""
    marker = _READ_UP_TO.cte("marker")
    poster = select(marker.c.profile_id).limit(1)
    event = (
        insert(ChatEvent)
        .from_select(
            [*_EVENT_VALUES, "profile_id"],
            select(*_EVENT_VALUES.values(), poster.scalar_subquery()).where(exists(poster)),
        )
        .returning(*_EVENT)
        .cte("event")
    )
    result = _STORE_RESULT.where(exists(poster)).cte("result")
    return (
        PRESENT_PARTICIPANTS.join(event, true())
        .add_columns(*(event.c[column.name] for column in _EVENT))
        .add_cte(result)
    )


_WRITE_MESSAGE = _write_message_at_once()
_PRESENT_COLUMNS = len(PRESENT_PARTICIPANTS.selected_columns)
_EVENT_NAMES = [column.name for column in _EVENT]


async def write_message(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    user_id: uuid.UUID,
    body: str | None,
    file_id: uuid.UUID | None,
    reply_to: int | None,
    idempotency_record_id: uuid.UUID | None,
) -> tuple[Mapping[str, Any], list[uuid.UUID]]:
    """Number and write a message: the row written and the users it goes to. Two statements
    under the chat's lock on PostgreSQL (the index, then the rest at once), 404 if the poster
    does not take part (rolling the index back); on SQLite, whose writers the database
    serialises anyway, the same steps one by one. The poster's change-log entry follows in the
    commit."""
    await wait_turn(session, chat_id)
    taken = await take_index(session, chat_id)
    parameters = _event_parameters(
        taken, type=MESSAGE, body=body, file_id=file_id, target_index=reply_to
    )
    parameters |= {
        "for_user": user_id,
        "for_record": idempotency_record_id,
        "with_result": str(taken.index),
    }
    if session.get_bind().dialect.name == "postgresql":
        rows = (await execute_core(session, _WRITE_MESSAGE, parameters)).all()
        if not rows:
            raise NotFound()
        written: Mapping[str, Any] = dict(
            zip(_EVENT_NAMES, rows[0][_PRESENT_COLUMNS:], strict=True)
        )
        present: Sequence[Any] = rows
    else:
        poster = await read_up_to(session, chat_id=chat_id, user_id=user_id, index=taken.index)
        if poster is None:
            raise NotFound()
        written = await write_event(
            session,
            taken,
            type=MESSAGE,
            profile_id=poster,
            body=body,
            file_id=file_id,
            target_index=reply_to,
        )
        if idempotency_record_id is not None:
            await execute_core(session, _STORE_RESULT, parameters)
        present = (await execute_core(session, PRESENT_PARTICIPANTS, parameters)).all()
    # A pending invitee's message is refused here, rolling back what it wrote (no statement more).
    _writer(present, user_id)
    record_own_view(session, chat_id, user_id)
    return written, recipients_of(present)
