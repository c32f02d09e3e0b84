"""A user's data in chats (``bca.core.personal``).

Erasure: their messages in chats with others become redacted events (no body, no file, written
by "a deleted profile"), so the others' history keeps every index; chats nobody else was ever
in go altogether. Export: the chats they are or were in, and every event they could read there
(their membership windows), as they could see it (a deleted message without its body)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    exists,
    func,
    not_,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bca.chat import forwarding
from bca.chat.models import Chat, ChatEvent, Participant, PastMembership
from bca.chat.sync import record_chat_change
from bca.core.personal import Erasure, Personal, plain


def _anyone_else_in(
    chat_id: InstrumentedAttribute[uuid.UUID], erasure: Erasure
) -> ColumnElement[bool]:
    """Someone other than the user is, or was, in the chat."""
    return or_(
        exists().where(Participant.chat_id == chat_id, Participant.user_id != erasure.user_id),
        exists().where(
            PastMembership.chat_id == chat_id, PastMembership.user_id != erasure.user_id
        ),
    )


async def redact_events(erasure: Erasure, declared: Personal) -> int:
    """Delete the events of the chats that were the user's alone; redact their events in the
    others, and name "a deleted profile" wherever an event names one of their profiles."""
    session, profiles, erased = erasure.session, erasure.profile_ids, erasure.erased_profile_id
    if not profiles:
        return 0
    theirs_alone = (
        select(Chat.id)
        .where(
            or_(
                Chat.owner_profile_id.in_(profiles),
                exists().where(
                    Participant.chat_id == Chat.id, Participant.user_id == erasure.user_id
                ),
                exists().where(
                    PastMembership.chat_id == Chat.id, PastMembership.user_id == erasure.user_id
                ),
            ),
            not_(_anyone_else_in(Chat.id, erasure)),
        )
        .scalar_subquery()
    )
    removed = await session.execute(delete(ChatEvent).where(ChatEvent.chat_id.in_(theirs_alone)))
    redacted = await session.execute(
        update(ChatEvent)
        .where(ChatEvent.profile_id.in_(profiles))
        .values(
            profile_id=erased,
            body=None,
            file_id=None,
            prior=null(),  # SQL NULL (None would store JSON null)
            preview=null(),
            edited_at=None,
            deleted_at=case(
                (ChatEvent.type == "message", func.coalesce(ChatEvent.deleted_at, erasure.now)),
                else_=ChatEvent.deleted_at,
            ),
        )
    )
    await session.execute(
        update(ChatEvent)
        .where(ChatEvent.target_profile_id.in_(profiles))
        .values(target_profile_id=erased)
    )
    await forwarding.forget_origins(erasure)  # forwarded copies name the original's author
    return int(getattr(removed, "rowcount", 0) or 0) + int(getattr(redacted, "rowcount", 0) or 0)


async def hand_over_chats(erasure: Erasure, declared: Personal) -> int:
    """The user's chats: gone when nothing of them is left (no event, no member); otherwise
    owned by "a deleted profile" from now on. Runs after their events and memberships went."""
    session, profiles = erasure.session, erasure.profile_ids
    if not profiles:
        return 0
    owned = Chat.owner_profile_id.in_(profiles)
    empty = and_(
        not_(exists().where(ChatEvent.chat_id == Chat.id)),
        not_(exists().where(Participant.chat_id == Chat.id)),
        not_(exists().where(PastMembership.chat_id == Chat.id)),
    )
    removed = await session.execute(delete(Chat).where(owned, empty))
    kept = (
        await session.scalars(
            update(Chat)
            .where(owned)
            .values(owner_profile_id=erasure.erased_profile_id)
            .returning(Chat.id)
        )
    ).all()
    for chat_id in kept:  # the others' copies show the new owner
        await record_chat_change(session, chat_id)
    return int(getattr(removed, "rowcount", 0) or 0) + len(kept)


def _windows(user_id: uuid.UUID) -> Any:
    """The user's membership windows: (chat, first index, last index or None)."""
    return union_all(
        select(Participant.chat_id, Participant.joined_index, Participant.left_index).where(
            Participant.user_id == user_id
        ),
        select(
            PastMembership.chat_id, PastMembership.joined_index, PastMembership.left_index
        ).where(PastMembership.user_id == user_id),
    ).subquery()


async def chats_they_were_in(
    session: AsyncSession, user_id: uuid.UUID, declared: Personal
) -> Sequence[Mapping[str, Any]]:
    windows = _windows(user_id)
    rows = await session.execute(
        select(Chat.id, Chat.title, Chat.direct, Chat.owner_profile_id, Chat.created_at)
        .where(Chat.id.in_(select(windows.c.chat_id)))
        .order_by(Chat.created_at, Chat.id)
    )
    return [{key: plain(value) for key, value in row.items()} for row in rows.mappings()]


async def events_they_could_read(
    session: AsyncSession, user_id: uuid.UUID, declared: Personal
) -> Sequence[Mapping[str, Any]]:
    """Every event of their membership windows, as the chat showed it to them."""
    windows = _windows(user_id)
    visible = and_(
        ChatEvent.chat_id == windows.c.chat_id,
        ChatEvent.index >= windows.c.joined_index,
        or_(windows.c.left_index.is_(None), ChatEvent.index <= windows.c.left_index),
    )
    rows = await session.execute(
        select(
            ChatEvent.chat_id,
            ChatEvent.index,
            ChatEvent.type,
            ChatEvent.profile_id,
            ChatEvent.created_at,
            ChatEvent.body,
            ChatEvent.file_id,
            ChatEvent.target_index,
            ChatEvent.target_profile_id,
            ChatEvent.edited_at,
            ChatEvent.deleted_at,
        )
        .select_from(ChatEvent)
        .join(windows, visible)
        .distinct()
        .order_by(ChatEvent.chat_id, ChatEvent.index)
    )
    found = []
    for row in rows.mappings():
        event = {key: plain(value) for key, value in row.items()}
        if row["deleted_at"] is not None:
            event["body"] = event["file_id"] = None
        found.append(event)
    return found
