"""Pins: a chat's owner (or either person of a direct chat) pins and unpins messages.

Idempotent like reactions: the pin's row is written or removed first, by one statement that
tells whether anything changed; only a change takes the chat's next index (under its lock,
where the owner is checked again) and writes ``message_pinned`` / ``message_unpinned``
(``target_index``: the message). Pins name the profile that pinned (indexed): personal data
found and removed by profile id.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.chat import event_log, repository
from bca.chat.errors import PinLimitReached
from bca.chat.models import Chat, ChatEvent, Participant, Pin
from bca.chat.reactions import visible_message
from bca.chat.schemas import EventRead, FileRef, PinRead
from bca.core.db import insert_ignoring_conflicts
from bca.core.errors import Forbidden, NotFound
from bca.core.time import utcnow
from bca.files.models import StoredFile

MESSAGE_PINNED = "message_pinned"
MESSAGE_UNPINNED = "message_unpinned"
MAX_PINS = 50
REFUSAL = "Only the chat's owner pins messages (in a direct chat, either person)."


async def _allowed(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Chat, Participant]:
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    chat = await session.get(Chat, chat_id) if me is not None else None
    if me is None or chat is None:
        raise NotFound()
    if not chat.direct and chat.owner_profile_id != me.profile_id:
        raise Forbidden(REFUSAL)
    return chat, me


async def pin_message(
    session: AsyncSession, backends: Backends, *, user_id: uuid.UUID, chat_id: uuid.UUID, index: int
) -> EventRead | None:
    """The ``message_pinned`` event, or None when the message was pinned already."""
    chat, me = await _allowed(session, chat_id=chat_id, user_id=user_id)
    await visible_message(session, chat_id=chat_id, index=index, me=me)
    pinned = await session.scalar(
        select(func.count()).select_from(Pin).where(Pin.chat_id == chat_id)
    )
    added = await session.scalar(
        insert_ignoring_conflicts(session, Pin)
        .values(chat_id=chat_id, message_index=index, profile_id=me.profile_id, pinned_at=utcnow())
        .returning(Pin.message_index)
    )
    if added is None:
        return None
    if (pinned or 0) >= MAX_PINS:
        raise PinLimitReached()
    return await _write(
        session, backends, chat=chat, user_id=user_id, index=index, type=MESSAGE_PINNED
    )


async def unpin_message(
    session: AsyncSession, backends: Backends, *, user_id: uuid.UUID, chat_id: uuid.UUID, index: int
) -> EventRead | None:
    """The ``message_unpinned`` event, or None when the message was not pinned."""
    chat, _ = await _allowed(session, chat_id=chat_id, user_id=user_id)
    removed = await session.scalar(
        delete(Pin)
        .where(Pin.chat_id == chat_id, Pin.message_index == index)
        .returning(Pin.message_index)
    )
    if removed is None:
        return None
    return await _write(
        session, backends, chat=chat, user_id=user_id, index=index, type=MESSAGE_UNPINNED
    )


async def _write(
    session: AsyncSession,
    backends: Backends,
    *,
    chat: Chat,
    user_id: uuid.UUID,
    index: int,
    type: str,
) -> EventRead:
    await event_log.wait_turn(session, chat.id)
    opened = await event_log.open_event(session, chat_id=chat.id, user_id=user_id)
    if not chat.direct and opened.taken.owner_profile_id != opened.profile_id:
        raise Forbidden(REFUSAL)  # the chat changed owner meanwhile; rolls everything back
    row = await event_log.write_event(
        session, opened.taken, type=type, profile_id=opened.profile_id, target_index=index
    )
    await event_log.read_up_to(session, chat_id=chat.id, user_id=user_id, index=opened.index)
    event_log.record_own_view(session, chat.id, user_id)
    event = EventRead.from_values(row, None)
    event_log.announce(session, backends, event, user_ids=opened.recipients)
    return event


async def list_pins(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID, public_url: str
) -> list[PinRead]:
    """The chat's pinned messages that I read (posted since I joined, not deleted), the most
    recently pinned first (at most ``MAX_PINS``)."""
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is None:
        raise NotFound()
    rows = await session.execute(
        select(Pin, ChatEvent, StoredFile)
        .join(
            ChatEvent,
            (ChatEvent.chat_id == Pin.chat_id) & (ChatEvent.index == Pin.message_index),
        )
        .outerjoin(
            StoredFile, (StoredFile.id == ChatEvent.file_id) & StoredFile.deleted_at.is_(None)
        )
        .where(
            Pin.chat_id == chat_id,
            Pin.message_index >= me.joined_index,
            ChatEvent.deleted_at.is_(None),
        )
        .order_by(Pin.pinned_at.desc(), Pin.message_index.desc())
        .limit(MAX_PINS)
    )
    return [
        PinRead(
            index=pin.message_index,
            pinned_by=pin.profile_id,
            pinned_at=pin.pinned_at,
            message=EventRead.from_row(event, FileRef.from_row(public_url, stored)),
        )
        for pin, event, stored in rows.all()
    ]
