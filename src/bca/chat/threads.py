"""Threads: the replies of a message (``reply_to``), their count and latest time on the root.

A reply updates its root's ``reply_count`` and ``last_reply_at`` in the post's transaction
(one statement, only for a reply), so a page of events shows each thread's size without a
count per message. ``GET .../replies`` reads one index range of ``(chat_id, target_index)``
within the reader's membership windows; a participant who left reads the thread as it was
when they left (the replies up to their departure, as they were then, and the count of those).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bca.chat import event_log, event_reads, reactions, repository
from bca.chat.models import ChatEvent
from bca.chat.schemas import EventRead, EventsPage, FileRef
from bca.core.errors import NotFound
from bca.files.models import StoredFile


async def count_reply(
    session: AsyncSession, *, chat_id: uuid.UUID, root: int, at: datetime
) -> None:
    """One more reply on the root message (atomic: concurrent replies all count)."""
    await session.execute(
        update(ChatEvent)
        .where(ChatEvent.chat_id == chat_id, ChatEvent.index == root)
        .values(reply_count=func.coalesce(ChatEvent.reply_count, 0) + 1, last_reply_at=at)
        .execution_options(synchronize_session=False)
    )


async def list_replies(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
    after: int,
    limit: int,
    public_url: str,
) -> EventsPage:
    """The replies to message ``index`` after reply index ``after``, oldest first; 404 when the
    caller never read that message."""
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    windows: list[tuple[int, int | None]] = [
        (start, end)
        for start, end in await repository.reading_windows(
            session, chat_id=chat_id, user_id=user_id
        )
        if end is not None
    ]
    if me is not None:
        windows.append((me.joined_index, None))
    if not any(start <= index and (end is None or index <= end) for start, end in windows):
        raise NotFound()
    root = await event_reads.get_event(session, chat_id=chat_id, index=index)
    if root is None or root.type != event_log.MESSAGE:
        raise NotFound()
    within = or_(
        *(
            and_(ChatEvent.index >= start, ChatEvent.index <= end)
            if end is not None
            else ChatEvent.index >= start
            for start, end in windows
        )
    )
    rows = (
        await session.execute(
            select(ChatEvent, StoredFile)
            .outerjoin(
                StoredFile,
                and_(StoredFile.id == ChatEvent.file_id, StoredFile.deleted_at.is_(None)),
            )
            .where(
                ChatEvent.chat_id == chat_id,
                ChatEvent.target_index == index,
                ChatEvent.type == event_log.MESSAGE,
                ChatEvent.index > after,
                within,
            )
            .order_by(ChatEvent.index)
            .limit(limit)
        )
    ).all()
    found: list[tuple[ChatEvent, StoredFile | None]] = [(row[0], row[1]) for row in rows]
    shown: list[tuple[ChatEvent, StoredFile | None]] = []
    for start, end in windows:
        part = [
            row for row in found if row[0].index >= start and (end is None or row[0].index <= end)
        ]
        if end is not None and part:
            part = await event_reads.as_of(session, chat_id=chat_id, rows=part, horizon=end)
        shown.extend(part)
    shown.sort(key=lambda row: row[0].index)
    events = [
        EventRead.from_row(event, FileRef.from_row(public_url, stored)) for event, stored in shown
    ]
    if me is not None:
        await reactions.mark_mine(session, events, chat_id=chat_id, profile_id=me.profile_id)
    return EventsPage(events=events, next_after=events[-1].index if events else after)
