"""Retention: messages older than their chat's period (the owner's ``retention_days``, at
most the server's ``BCA_CHAT_RETENTION_MAX_DAYS``) are redacted by the worker: body, earlier
versions and file removed, the event and its index kept, so histories stay gapless.

What hangs on a redacted message goes with it: its reactions (rows and counts), its mentions,
its link preview (on the message and its ``message_preview`` events, the image retired) and its
pin. A pin is part of the chat's state that clients hold, so its removal is an event like any
unpinning: ``message_unpinned``, written under the chat's lock (taken only when a batch holds a
pinned message) in the pinner's name, and announced after the commit.

``chat.apply_retention`` (hourly) goes chat by chat, a batch of events per transaction, and
says its progress in the log and in ``bca_chat_retention_redacted_total``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import and_, case, delete, func, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.chat import event_log
from bca.chat.models import Chat, ChatEvent, Mention, Pin, Reaction
from bca.chat.pins import MESSAGE_UNPINNED
from bca.chat.schemas import EventRead
from bca.core.time import utcnow
from bca.files.service import retire_file

logger = logging.getLogger(__name__)

BATCH = 500
"""Events redacted per transaction (the chat is not locked: events past the period are
never written again, and posting goes on beside it)."""

REDACTED = Counter(
    "bca_chat_retention_redacted_total", "Chat messages redacted by their chat's retention"
)

MESSAGES = ("message", "message_edited")
"""The events that carry what someone wrote (a rename's title is the chat's, and stays)."""

_CARRIES_SOMETHING = and_(
    ChatEvent.type.in_(MESSAGES),
    or_(
        ChatEvent.body.is_not(None),
        ChatEvent.file_id.is_not(None),
        ChatEvent.prior.is_not(None),
        ChatEvent.reactions.is_not(None),
        ChatEvent.preview.is_not(None),
    ),
)


def period(chat_days: int | None, server_max: int | None) -> int | None:
    """The retention that applies: the shorter of the chat's and the server's."""
    given = [days for days in (chat_days, server_max) if days is not None]
    return min(given) if given else None


async def _chats_with_a_period(
    session: AsyncSession, server_max: int | None
) -> list[tuple[uuid.UUID, int]]:
    own = Chat.retention_days.is_not(None)
    query = select(Chat.id, Chat.retention_days).order_by(Chat.id)
    if server_max is None:
        query = query.where(own)
    else:  # a chat younger than the server's period has nothing past it yet
        query = query.where(or_(own, Chat.created_at < utcnow() - timedelta(days=server_max)))
    found = []
    for chat_id, days in (await session.execute(query)).all():
        applied = period(days, server_max)
        if applied is not None:
            found.append((chat_id, applied))
    return found


async def redact_batch(
    session: AsyncSession, backends: Backends, *, chat_id: uuid.UUID, before: datetime
) -> int:
    """Redact up to ``BATCH`` events of the chat written before ``before``; answers how many."""
    rows = (
        await session.execute(
            select(ChatEvent.index, ChatEvent.type, ChatEvent.file_id)
            .where(ChatEvent.chat_id == chat_id, ChatEvent.created_at < before, _CARRIES_SOMETHING)
            .order_by(ChatEvent.index)
            .limit(BATCH)
        )
    ).all()
    if not rows:
        return 0
    indexes = [index for index, _, _ in rows]
    files = {file_id for _, _, file_id in rows if file_id is not None}
    await session.execute(
        update(ChatEvent)
        .where(ChatEvent.chat_id == chat_id, ChatEvent.index.in_(indexes))
        .values(
            body=None,
            file_id=None,
            # SQL NULL (None would store JSON null)
            prior=null(),
            reactions=null(),
            preview=null(),
            deleted_at=case(
                (ChatEvent.type == "message", func.coalesce(ChatEvent.deleted_at, utcnow())),
                else_=ChatEvent.deleted_at,
            ),
        )
    )
    messages = [index for index, type, _ in rows if type == event_log.MESSAGE]
    if messages:
        files |= await _forget_what_hangs_on(session, backends, chat_id=chat_id, indexes=messages)
    for file_id in files:
        await retire_file(session, backends, file_id)  # unless still used elsewhere
    return len(rows)


async def _forget_what_hangs_on(
    session: AsyncSession, backends: Backends, *, chat_id: uuid.UUID, indexes: list[int]
) -> set[uuid.UUID]:
    """The reactions, mentions, previews and pins of redacted messages; answers the preview
    images to retire. Each is found through an index on the message (none scans the chat)."""
    for table in (Reaction, Mention):
        await session.execute(
            delete(table).where(table.chat_id == chat_id, table.message_index.in_(indexes))
        )
    about_them = (
        ChatEvent.chat_id == chat_id,
        ChatEvent.target_index.in_(indexes),
        ChatEvent.type == event_log.MESSAGE_PREVIEW,
    )
    images = set(
        (
            await session.scalars(
                select(ChatEvent.file_id).where(*about_them, ChatEvent.file_id.is_not(None))
            )
        ).all()
    )
    await session.execute(
        update(ChatEvent)
        .where(*about_them)
        .values(preview=null(), file_id=None)
        .execution_options(synchronize_session=False)
    )
    unpinned = (
        await session.execute(
            delete(Pin)
            .where(Pin.chat_id == chat_id, Pin.message_index.in_(indexes))
            .returning(Pin.message_index, Pin.profile_id)
        )
    ).all()
    for index, pinner in sorted(unpinned):
        taken, recipients = await event_log.open_server_event(session, chat_id=chat_id)
        row = await event_log.write_event(
            session, taken, type=MESSAGE_UNPINNED, profile_id=pinner, target_index=index
        )
        event = EventRead.from_values(row, None)
        event_log.announce(session, backends, event, user_ids=recipients)
    return {image for image in images if image is not None}


async def apply_retention(backends: Backends) -> None:
    """``chat.apply_retention``: every chat with a period, batch by batch."""
    server_max = backends.settings.chat_retention_max_days
    async with backends.database.transaction() as session:
        chats = await _chats_with_a_period(session, server_max)
    total = 0
    for chat_id, days in chats:
        before = utcnow() - timedelta(days=days)
        redacted = 0
        while True:
            async with backends.database.transaction() as session:
                done = await redact_batch(session, backends, chat_id=chat_id, before=before)
            if not done:
                break
            redacted += done
            REDACTED.inc(done)
            logger.info("retention: chat %s, %d messages redacted so far", chat_id, redacted)
        total += redacted
    logger.info("retention: %d chats looked at, %d messages redacted", len(chats), total)
