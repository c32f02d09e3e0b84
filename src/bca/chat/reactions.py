"""Reactions: one emoji per person per message, each change an event of the chat's log.

Adding or removing a reaction is idempotent: the reaction's row is written (or removed) first,
by one statement that tells whether anything changed (outside the chat's lock); only a change
takes the chat's next index (``event_log.open_event``: under the chat's lock, where the message
is read, so its counts are updated by one writer at a time and stay exact) and writes
``reaction_added`` / ``reaction_removed`` (``body``: the emoji, ``target_index``: the
message). The message keeps its counts (``chat_events.reactions``), so reading a page costs
nothing more unless a message on it has reactions; then one statement finds which are mine.

A person's reactions are personal data: ``chat_reactions`` rows name the profile (and user),
both indexed; :func:`remove_reactions_of` removes a profile's reactions and corrects the counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.chat import event_log, repository
from bca.chat.emoji import is_emoji
from bca.chat.errors import InvalidField, ReactionLimitReached
from bca.chat.models import ChatEvent, Participant, Reaction
from bca.chat.schemas import EventRead, MessageReactions, ReactionCount, reaction_counts
from bca.core.db import insert_ignoring_conflicts
from bca.core.errors import NotFound
from bca.core.personal import Erasure, Personal
from bca.core.time import utcnow

REACTION_ADDED = "reaction_added"
REACTION_REMOVED = "reaction_removed"
MAX_EMOJI_PER_PERSON = 20


def check_emoji(emoji: str) -> str:
    if not is_emoji(emoji):
        raise InvalidField("emoji", "A reaction is one emoji.")
    return emoji


async def visible_message(
    session: AsyncSession, *, chat_id: uuid.UUID, index: int, me: Participant
) -> ChatEvent:
    """A live message the participant ``me`` reads (posted since they joined), else 404."""
    message: ChatEvent | None = await session.scalar(
        select(ChatEvent)
        .where(ChatEvent.chat_id == chat_id, ChatEvent.index == index)
        .execution_options(populate_existing=True)
    )
    if (
        message is None
        or message.type != event_log.MESSAGE
        or message.deleted_at is not None
        or index < me.joined_index
    ):
        raise NotFound()
    return message


async def _member(session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID) -> Participant:
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is None:
        raise NotFound()
    return me


async def _my_emoji(
    session: AsyncSession, *, chat_id: uuid.UUID, index: int, profile_id: uuid.UUID
) -> list[str]:
    rows = await session.scalars(
        select(Reaction.emoji).where(
            Reaction.chat_id == chat_id,
            Reaction.message_index == index,
            Reaction.profile_id == profile_id,
        )
    )
    return list(rows.all())


def _with_mine(counts: dict[str, Any] | None, mine: Sequence[str]) -> list[ReactionCount]:
    shown = reaction_counts(counts) or []
    for reaction in shown:
        reaction.mine = reaction.emoji in mine
    return shown


async def add_reaction(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
    emoji: str,
) -> MessageReactions:
    check_emoji(emoji)
    me = await _member(session, chat_id=chat_id, user_id=user_id)
    mine = await _my_emoji(session, chat_id=chat_id, index=index, profile_id=me.profile_id)
    if emoji in mine:
        return await _unchanged(session, chat_id=chat_id, index=index, me=me, mine=mine)
    if len(mine) >= MAX_EMOJI_PER_PERSON:
        raise ReactionLimitReached()
    added = await session.scalar(
        insert_ignoring_conflicts(session, Reaction)
        .values(
            chat_id=chat_id,
            message_index=index,
            profile_id=me.profile_id,
            emoji=emoji,
            user_id=user_id,
            created_at=utcnow(),
        )
        .returning(Reaction.emoji)
    )
    if added is None:  # a concurrent request of mine added it first
        return await _unchanged(session, chat_id=chat_id, index=index, me=me, mine=[*mine, emoji])
    return await _write(
        session, backends, me=me, index=index, emoji=emoji, change=1, mine=[*mine, emoji]
    )


async def remove_reaction(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
    emoji: str,
) -> MessageReactions:
    check_emoji(emoji)
    me = await _member(session, chat_id=chat_id, user_id=user_id)
    removed = await session.scalar(
        delete(Reaction)
        .where(
            Reaction.chat_id == chat_id,
            Reaction.message_index == index,
            Reaction.profile_id == me.profile_id,
            Reaction.emoji == emoji,
        )
        .returning(Reaction.emoji)
    )
    mine = await _my_emoji(session, chat_id=chat_id, index=index, profile_id=me.profile_id)
    if removed is None:
        return await _unchanged(session, chat_id=chat_id, index=index, me=me, mine=mine)
    return await _write(session, backends, me=me, index=index, emoji=emoji, change=-1, mine=mine)


async def _unchanged(
    session: AsyncSession, *, chat_id: uuid.UUID, index: int, me: Participant, mine: list[str]
) -> MessageReactions:
    """Nothing changed: the message's reactions as they are (404 for one I do not read)."""
    message = await visible_message(session, chat_id=chat_id, index=index, me=me)
    return MessageReactions(
        chat_id=chat_id, index=index, reactions=_with_mine(message.reactions, mine), event=None
    )


async def _write(
    session: AsyncSession,
    backends: Backends,
    *,
    me: Participant,
    index: int,
    emoji: str,
    change: int,
    mine: list[str],
) -> MessageReactions:
    """The event of a reaction that changed, and the message's counts, under the chat's lock
    (taken by ``open_event``, which also checks the writer still takes part; this process's
    writers of the chat queue before it, ``wait_turn``). The message is read under the lock,
    so every other writer of its counts has committed: they stay exact. A message I may not
    read is 404, which rolls the reaction's row back too."""
    chat_id, user_id = me.chat_id, me.user_id
    await event_log.wait_turn(session, chat_id)
    opened = await event_log.open_event(session, chat_id=chat_id, user_id=user_id)
    message = await visible_message(session, chat_id=chat_id, index=index, me=me)
    counts = _changed(message.reactions, emoji, change)
    message.reactions = counts
    await session.flush()
    row = await event_log.write_event(
        session,
        opened.taken,
        type=REACTION_ADDED if change > 0 else REACTION_REMOVED,
        profile_id=opened.profile_id,
        body=emoji,
        target_index=index,
        reactions=counts,
    )
    await event_log.read_up_to(session, chat_id=chat_id, user_id=user_id, index=opened.index)
    event_log.record_own_view(session, chat_id, user_id)
    event = EventRead.from_values(row, None)  # ``reactions``: the message's counts now
    event_log.announce(session, backends, event, user_ids=opened.recipients)
    return MessageReactions(
        chat_id=chat_id, index=index, reactions=_with_mine(counts, mine), event=event
    )


def _changed(counts: dict[str, Any] | None, emoji: str, change: int) -> dict[str, Any] | None:
    changed = {key: int(value) for key, value in (counts or {}).items()}
    changed[emoji] = changed.get(emoji, 0) + change
    if changed[emoji] <= 0:
        del changed[emoji]
    return changed or None


async def mark_mine(
    session: AsyncSession, events: Sequence[EventRead], *, chat_id: uuid.UUID, profile_id: uuid.UUID
) -> None:
    """Set ``mine`` on the reactions of a page's messages: one statement, and none when no
    message on the page has a reaction."""
    reacted = [event.index for event in events if event.reactions and event.type == "message"]
    if not reacted:
        return
    rows = await session.execute(
        select(Reaction.message_index, Reaction.emoji).where(
            Reaction.chat_id == chat_id,
            Reaction.message_index.in_(reacted),
            Reaction.profile_id == profile_id,
        )
    )
    mine = {(index, emoji) for index, emoji in rows.all()}
    for event in events:
        for reaction in event.reactions or []:
            reaction.mine = (event.index, reaction.emoji) in mine


async def counts_as_of(
    session: AsyncSession, *, chat_id: uuid.UUID, indexes: Sequence[int], horizon: int
) -> dict[int, dict[str, int]]:
    """The reaction counts of these messages as they were at event ``horizon`` (for a
    participant who left then), replayed from the log's reaction events."""
    if not indexes:
        return {}
    rows = await session.execute(
        select(ChatEvent.target_index, ChatEvent.type, ChatEvent.body, func.count())
        .where(
            ChatEvent.chat_id == chat_id,
            ChatEvent.target_index.in_(indexes),
            ChatEvent.type.in_((REACTION_ADDED, REACTION_REMOVED)),
            ChatEvent.index <= horizon,
        )
        .group_by(ChatEvent.target_index, ChatEvent.type, ChatEvent.body)
    )
    counts: dict[int, dict[str, int]] = {}
    for target, kind, emoji, n in rows.all():
        if target is None or emoji is None:
            continue
        per = counts.setdefault(target, {})
        per[emoji] = per.get(emoji, 0) + (n if kind == REACTION_ADDED else -n)
    return {target: {e: n for e, n in per.items() if n > 0} for target, per in counts.items()}


async def remove_reactions_of(session: AsyncSession, profile_id: uuid.UUID) -> int:
    """Erase a profile's reactions (for the data-rights work): the rows go and each message's
    counts drop accordingly. The log's reaction events stay as the log's history. Returns how
    many were removed."""
    removed = (
        await session.execute(
            delete(Reaction)
            .where(Reaction.profile_id == profile_id)
            .returning(Reaction.chat_id, Reaction.message_index, Reaction.emoji)
        )
    ).all()
    for chat_id, index, emoji in removed:
        await repository.lock_chat(session, chat_id)
        message = await session.get(ChatEvent, (chat_id, index), populate_existing=True)
        if message is not None:
            message.reactions = _changed(message.reactions, emoji, -1)
    await session.flush()
    return len(removed)


async def erase_reactions(erasure: Erasure, declared: Personal) -> int:
    """A user's erasure (``bca.core.personal``): their profiles' reactions go, and the counts
    of the messages they were on drop accordingly."""
    removed = 0
    for profile_id in sorted(erasure.profile_ids):
        removed += await remove_reactions_of(erasure.session, profile_id)
    return removed
