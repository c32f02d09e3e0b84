"""Reads of a chat's event log: pages, long-polls woken by the realtime hub, the history as it
was for participants who left, and the events and files a writer looks up (the writes are in
``event_log``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.chat import reactions, repository
from bca.chat.event_log import MESSAGE, MESSAGE_DELETED, MESSAGE_EDITED
from bca.chat.models import ChatEvent, Participant, PastMembership
from bca.chat.schemas import (
    EventRead,
    EventsPage,
    FileRef,
)
from bca.core.db import end_read_only_transaction
from bca.core.errors import NotFound
from bca.files.models import StoredFile


async def read_events(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    after: int,
    limit: int,
    wait: float,
) -> EventsPage:
    """Events after ``after``; with ``wait``, long-poll (``wait_for_events``) until one arrives
    or the wait ends, without the request's transaction: a pooled PostgreSQL connection must
    not idle in one for 30 s, and on SQLite it would hold the write lock."""
    if wait <= 0:
        return await _events_page(
            session,
            user_id=user_id,
            chat_id=chat_id,
            after=after,
            limit=limit,
            url=backends.settings.public_url,
        )
    await end_read_only_transaction(session)
    return await wait_for_events(
        backends, user_id=user_id, chat_id=chat_id, after=after, limit=limit, wait=wait
    )


async def wait_for_events(
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    after: int,
    limit: int,
    wait: float,
) -> EventsPage:
    """Long-poll: the events after ``after``, waiting up to ``wait`` seconds for the first.

    The request watches the realtime hub *before* it reads, so nothing published after the
    read is missed. A receiver re-polls from the event it was just given: when the hub relayed
    that event as the chat's newest, to this user as a participant, there is nothing to read
    yet and the request only waits. The events the hub hands over are returned as they are
    when they continue the page without a gap and name the caller among their recipients;
    otherwise (a gap, a departure, delivery interrupted) the page is read again. A wait that
    ends with nothing reads the database once, so a publish that never came (its writer died
    after committing) delays an event by one wait at most. So a receiver costs the database
    nothing per event. Each read is a short session of its own: none is held while waiting.
    """

    async def read() -> EventsPage:
        async with backends.database.reading() as session:
            return await _events_page(
                session,
                user_id=user_id,
                chat_id=chat_id,
                after=after,
                limit=limit,
                url=backends.settings.public_url,
            )

    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    hub = backends.realtime
    async with hub.watch(chat_id) as waiter:
        caught_up = hub.caught_up(chat_id, user_id, after)
        page = EventsPage(events=[], next_after=after) if caught_up else await read()
        while not page.events:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return await read() if caught_up else page
            with suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await waiter.woken.wait()
            handed = _continuing(waiter.take(user_id), after=after, limit=limit)
            if handed is not None:
                if handed:
                    return EventsPage(events=handed, next_after=handed[-1].index)
                continue
            page = await read()
            caught_up = False
        return page


def _continuing(
    handed: list[dict[str, Any]] | None, *, after: int, limit: int
) -> list[EventRead] | None:
    """Handed-over events that continue a page ending at ``after`` without a gap ([] when none
    of them is new); None when they leave a gap (an earlier event's publish is late): then
    only the database knows the page."""
    if handed is None:
        return None
    events = sorted(
        (EventRead.model_validate(event) for event in handed if int(event["index"]) > after),
        key=lambda event: event.index,
    )
    expected = after + 1
    for event in events:
        if event.index != expected:
            return None
        expected += 1
    return events[:limit]


async def _events_page(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    after: int,
    limit: int,
    url: str,
) -> EventsPage:
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is not None and after >= me.joined_index - 1:
        # The common case, within the current membership: one range of the primary key.
        rows = await list_events(session, chat_id=chat_id, after=after, limit=limit, through=None)
    else:
        rows = await _windowed(
            session, user_id=user_id, chat_id=chat_id, after=after, limit=limit, member=me
        )
    events = [EventRead.from_row(event, FileRef.from_row(url, stored)) for event, stored in rows]
    if me is not None:
        await reactions.mark_mine(session, events, chat_id=chat_id, profile_id=me.profile_id)
    return EventsPage(events=events, next_after=events[-1].index if events else after)


async def _windowed(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    after: int,
    limit: int,
    member: Participant | None,
) -> list[tuple[ChatEvent, StoredFile | None]]:
    """A page of what a user may read before their current membership, or after leaving:
    each earlier membership's events as they were when it ended, and nothing of the time
    away. 404 for someone who never took part, or who left and asks beyond their departure."""
    ended = [
        (start, end)
        for start, end in await repository.reading_windows(
            session, chat_id=chat_id, user_id=user_id
        )
        if end is not None
    ]
    if member is None and (not ended or after >= max(end for _, end in ended)):
        raise NotFound()
    windows: list[tuple[int, int | None]] = list(ended)
    if member is not None:
        windows.append((member.joined_index, None))
    rows: list[tuple[ChatEvent, StoredFile | None]] = []
    for start, end in windows:
        if len(rows) >= limit:
            break
        if end is not None and after >= end:
            continue
        found = await list_events(
            session,
            chat_id=chat_id,
            after=max(after, start - 1),
            limit=limit - len(rows),
            through=end,
        )
        if end is not None:
            found = await as_of(session, chat_id=chat_id, rows=found, horizon=end)
        rows.extend(found)
    return rows


async def as_of(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    rows: list[tuple[ChatEvent, StoredFile | None]],
    horizon: int,
) -> list[tuple[ChatEvent, StoredFile | None]]:
    """The page as it was at event ``horizon``, for a participant who left then: messages
    (:func:`_as_of`), and their threads' sizes and reactions."""
    rows = await _as_of(session, chat_id=chat_id, rows=rows, horizon=horizon)
    return await _conversation_as_of(session, chat_id=chat_id, rows=rows, horizon=horizon)


async def _conversation_as_of(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    rows: list[tuple[ChatEvent, StoredFile | None]],
    horizon: int,
) -> list[tuple[ChatEvent, StoredFile | None]]:
    """Reply counts and reactions as they were at ``horizon`` (detached copies)."""
    messages = [event.index for event, _ in rows if event.type == MESSAGE]
    if not messages:
        return rows
    threads: dict[int, tuple[int, datetime]] = {}
    roots = [event.index for event, _ in rows if event.type == MESSAGE and event.reply_count]
    if roots:
        found = await session.execute(
            select(ChatEvent.target_index, func.count(), func.max(ChatEvent.created_at))
            .where(
                ChatEvent.chat_id == chat_id,
                ChatEvent.target_index.in_(roots),
                ChatEvent.type == MESSAGE,
                ChatEvent.index <= horizon,
            )
            .group_by(ChatEvent.target_index)
        )
        threads = {target: (count, latest) for target, count, latest in found.all() if target}
    counts = await reactions.counts_as_of(
        session, chat_id=chat_id, indexes=messages, horizon=horizon
    )
    shown: list[tuple[ChatEvent, StoredFile | None]] = []
    for event, stored in rows:
        if event.type != MESSAGE:
            shown.append((event, stored))
            continue
        copy = _detached(event)
        count, latest = threads.get(event.index, (None, None))
        copy.reply_count, copy.last_reply_at = count, latest
        copy.reactions = counts.get(event.index) or None
        shown.append((copy, stored))
    return shown


async def _as_of(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    rows: list[tuple[ChatEvent, StoredFile | None]],
    horizon: int,
) -> list[tuple[ChatEvent, StoredFile | None]]:
    """The page as it was at event ``horizon``: a message edited or deleted later shows what
    the first such change kept of it (``prior``); an edit whose body a later deletion erased
    shows what that deletion kept. Detached copies: the session's rows stay as they are."""
    changed = {
        event.index if event.type == "message" else event.target_index
        for event, _ in rows
        if (event.type == "message" and (event.edited_at or event.deleted_at))
        or (event.type == "message_edited" and event.body is None)
    }
    later = await changes_after(
        session, chat_id=chat_id, targets=sorted(i for i in changed if i), after=horizon
    )
    if not later:
        return rows
    kept_files = [
        uuid.UUID(changes[0].prior["file_id"])
        for changes in later.values()
        if changes[0].prior and changes[0].prior.get("file_id")
    ]
    files = await files_by_id(session, kept_files)
    shown: list[tuple[ChatEvent, StoredFile | None]] = []
    for event, stored in rows:
        target = event.index if event.type == "message" else event.target_index
        changes = later.get(target) if target is not None else None
        if not changes:
            shown.append((event, stored))
            continue
        copy = _detached(event)
        if event.type == "message":
            prior = changes[0].prior or {}
            copy.body = prior.get("body")
            copy.file_id = uuid.UUID(prior["file_id"]) if prior.get("file_id") else None
            edited = prior.get("edited_at")
            copy.edited_at = datetime.fromisoformat(edited) if edited else None
            copy.deleted_at = None
            shown.append((copy, files.get(copy.file_id) if copy.file_id else None))
        else:
            deletion = changes[-1].prior if changes[-1].type == "message_deleted" else None
            copy.body = ((deletion or {}).get("edits") or {}).get(str(event.index))
            shown.append((copy, stored))
    return shown


def _detached(event: ChatEvent) -> ChatEvent:
    return ChatEvent(
        chat_id=event.chat_id,
        index=event.index,
        type=event.type,
        profile_id=event.profile_id,
        created_at=event.created_at,
        body=event.body,
        file_id=event.file_id,
        target_index=event.target_index,
        target_profile_id=event.target_profile_id,
        edited_at=event.edited_at,
        deleted_at=event.deleted_at,
        reactions=event.reactions,
        reply_count=event.reply_count,
        last_reply_at=event.last_reply_at,
        forwarded=event.forwarded,
    )


async def typing_audience(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID
) -> tuple[uuid.UUID, list[uuid.UUID]] | None:
    """The caller's profile in the chat and the other participants' users, if they take part."""
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is None:
        return None
    members = await repository.member_user_ids(session, chat_id)
    return me.profile_id, [member for member in members if member != user_id]


# --- the statements --------------------------------------------------------------------------


def _events_after() -> Select[ChatEvent, StoredFile]:
    return (
        select(ChatEvent, StoredFile)
        .outerjoin(
            StoredFile, and_(StoredFile.id == ChatEvent.file_id, StoredFile.deleted_at.is_(None))
        )
        .where(ChatEvent.chat_id == bindparam("chat"), ChatEvent.index > bindparam("after"))
        .order_by(ChatEvent.index)
        .limit(bindparam("limit"))
    )


_EVENTS = _events_after()
_EVENTS_THROUGH = _events_after().where(ChatEvent.index <= bindparam("through"))


async def list_events(
    session: AsyncSession, *, chat_id: uuid.UUID, after: int, limit: int, through: int | None
) -> list[tuple[ChatEvent, StoredFile | None]]:
    """One range of the ``(chat_id, index)`` primary key, whatever the chat's length."""
    parameters: dict[str, object] = {"chat": chat_id, "after": after, "limit": limit}
    query = _EVENTS
    if through is not None:
        query, parameters["through"] = _EVENTS_THROUGH, through
    rows = (await session.execute(query, parameters)).all()
    return [(row[0], row[1]) for row in rows]


async def get_event(session: AsyncSession, *, chat_id: uuid.UUID, index: int) -> ChatEvent | None:
    return await session.get(ChatEvent, (chat_id, index))


async def get_file(session: AsyncSession, file_id: uuid.UUID | None) -> StoredFile | None:
    if file_id is None:
        return None
    stored: StoredFile | None = await session.scalar(
        select(StoredFile).where(StoredFile.id == file_id, StoredFile.deleted_at.is_(None))
    )
    return stored


async def departed_since(session: AsyncSession, *, chat_id: uuid.UUID, index: int) -> bool:
    """Whether a membership that included event ``index`` ended after it: someone who left
    (and has not come back), or came back after an earlier membership."""
    departed = await session.scalar(
        select(Participant.profile_id)
        .where(
            Participant.chat_id == chat_id,
            Participant.left_at.is_not(None),
            Participant.left_index > index,
            Participant.joined_index <= index,
        )
        .limit(1)
    )
    if departed is not None:
        return True
    earlier = await session.scalar(
        select(PastMembership.user_id)
        .where(
            PastMembership.chat_id == chat_id,
            PastMembership.left_index > index,
            PastMembership.joined_index <= index,
        )
        .limit(1)
    )
    return earlier is not None


@dataclass(frozen=True)
class LaterChange:
    index: int
    type: str
    prior: dict[str, Any] | None


async def changes_after(
    session: AsyncSession, *, chat_id: uuid.UUID, targets: Sequence[int], after: int
) -> dict[int, list[LaterChange]]:
    """Edits and deletions of these messages after event ``after``, oldest first."""
    if not targets:
        return {}
    rows = await session.execute(
        select(ChatEvent.target_index, ChatEvent.index, ChatEvent.type, ChatEvent.prior)
        .where(
            ChatEvent.chat_id == chat_id,
            ChatEvent.target_index.in_(targets),
            ChatEvent.type.in_((MESSAGE_EDITED, MESSAGE_DELETED)),
            ChatEvent.index > after,
        )
        .order_by(ChatEvent.index)
    )
    found: dict[int, list[LaterChange]] = {}
    for target, index, kind, prior in rows.all():
        found.setdefault(target, []).append(LaterChange(index, kind, prior))
    return found


async def files_by_id(
    session: AsyncSession, file_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StoredFile]:
    if not file_ids:
        return {}
    rows = await session.scalars(
        select(StoredFile).where(StoredFile.id.in_(file_ids), StoredFile.deleted_at.is_(None))
    )
    return {stored.id: stored for stored in rows.all()}
