"""Writing the search index (entries of cards, contacts and profiles; versions of messages;
the worker's progress per chat) and erasing a person's part of it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bca.cards.models import Card
from bca.chat.models import Chat, ChatEvent
from bca.contacts.models import Contact
from bca.core.db import insert_ignoring_conflicts
from bca.core.time import utcnow
from bca.profiles.models import Profile
from bca.search.models import SearchedChat, SearchEntry, SearchMessage
from bca.search.repository import MESSAGE_KINDS, is_postgres

# --- writes: entries -------------------------------------------------------------------------


async def replace_entries(
    session: AsyncSession,
    *,
    entity_ids: Sequence[uuid.UUID],
    rows: Sequence[tuple[str, uuid.UUID, uuid.UUID, str, str]],
) -> None:
    """The entries of these entities become ``rows`` (kind, entity, profile, text, terms).

    Only what differs is written: most writes that touch a profile (a follow, a block) leave
    its text as it was, and rewriting it would make concurrent ones queue on its rows. What
    is written is upserted in key order, so that two writers of one entity wait for each
    other instead of failing on the unique key."""
    if not entity_ids:
        return
    existing = {
        (row.kind, row.entity_id): (row.profile_id, row.text, row.terms)
        for row in await session.execute(
            select(
                SearchEntry.kind,
                SearchEntry.entity_id,
                SearchEntry.profile_id,
                SearchEntry.text,
                SearchEntry.terms,
            ).where(SearchEntry.entity_id.in_(entity_ids))
        )
    }
    wanted = {
        (kind, entity_id): (profile_id, body, terms)
        for kind, entity_id, profile_id, body, terms in rows
    }
    gone = sorted(key for key in existing if key not in wanted)
    if gone:
        await session.execute(
            delete(SearchEntry).where(
                or_(
                    *(
                        and_(SearchEntry.kind == kind, SearchEntry.entity_id == entity_id)
                        for kind, entity_id in gone
                    )
                )
            )
        )
    changed = sorted(key for key, value in wanted.items() if existing.get(key) != value)
    if changed:
        now = utcnow()
        upsert = insert_for(session, SearchEntry).values(
            [
                {
                    "kind": kind,
                    "entity_id": entity_id,
                    "profile_id": wanted[(kind, entity_id)][0],
                    "text": wanted[(kind, entity_id)][1],
                    "terms": wanted[(kind, entity_id)][2],
                    "updated_at": now,
                }
                for kind, entity_id in changed
            ]
        )
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=["kind", "entity_id"],
                set_={
                    "profile_id": upsert.excluded.profile_id,
                    "text": upsert.excluded.text,
                    "terms": upsert.excluded.terms,
                    "updated_at": upsert.excluded.updated_at,
                },
            )
        )


def insert_for(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT (with ``on_conflict_do_update``) for the session's database."""
    return (postgresql if is_postgres(session) else sqlite).insert(table)


async def cards_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Card]:
    return list((await session.scalars(select(Card).where(Card.id.in_(ids)))).all())


async def contacts_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Contact]:
    return list((await session.scalars(select(Contact).where(Contact.id.in_(ids)))).all())


async def profiles_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Profile]:
    return list((await session.scalars(select(Profile).where(Profile.id.in_(ids)))).all())


async def entity_ids(
    session: AsyncSession, model: Any, *, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """A batch of every id of ``model`` (for a reindex), in id order."""
    statement = select(model.id).order_by(model.id).limit(limit)
    if after is not None:
        statement = statement.where(model.id > after)
    return list((await session.scalars(statement)).all())


# --- writes: messages ------------------------------------------------------------------------


async def lock_progress(session: AsyncSession, chat_id: uuid.UUID) -> int:
    """How far the chat is indexed, its row locked until the commit (made at 0 if missing)."""
    await session.execute(
        insert_ignoring_conflicts(session, SearchedChat).values(chat_id=chat_id, indexed_through=0)
    )
    statement = select(SearchedChat.indexed_through).where(SearchedChat.chat_id == chat_id)
    if is_postgres(session):
        statement = statement.with_for_update()
    return int((await session.execute(statement)).scalar_one())


async def set_progress(session: AsyncSession, chat_id: uuid.UUID, through: int) -> None:
    await session.execute(
        update(SearchedChat).where(SearchedChat.chat_id == chat_id).values(indexed_through=through)
    )


async def events_after(
    session: AsyncSession, chat_id: uuid.UUID, *, after: int, limit: int
) -> list[tuple[int, str, int | None]]:
    """(index, type, target) of the chat's message events after ``after``."""
    rows = await session.execute(
        select(ChatEvent.index, ChatEvent.type, ChatEvent.target_index)
        .where(ChatEvent.chat_id == chat_id, ChatEvent.index > after)
        .order_by(ChatEvent.index)
        .limit(limit)
    )
    return [(int(row[0]), str(row[1]), row[2]) for row in rows]


async def message_history(
    session: AsyncSession, chat_id: uuid.UUID, indexes: Sequence[int]
) -> dict[int, tuple[ChatEvent, list[ChatEvent]]]:
    """Each message at ``indexes`` with its edits and deletion, oldest first."""
    messages = await session.scalars(
        select(ChatEvent).where(
            ChatEvent.chat_id == chat_id, ChatEvent.index.in_(indexes), ChatEvent.type == "message"
        )
    )
    found: dict[int, tuple[ChatEvent, list[ChatEvent]]] = {m.index: (m, []) for m in messages}
    changes = await session.scalars(
        select(ChatEvent)
        .where(
            ChatEvent.chat_id == chat_id,
            ChatEvent.target_index.in_(list(found)),
            ChatEvent.type.in_(MESSAGE_KINDS[1:]),
        )
        .order_by(ChatEvent.index)
    )
    for change in changes:
        if change.target_index in found:
            found[change.target_index][1].append(change)
    return found


async def replace_message_versions(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    indexes: Sequence[int],
    versions: Sequence[dict[str, Any]],
) -> None:
    """The versions of these messages of a chat become ``versions``: one delete, one insert."""
    await session.execute(
        delete(SearchMessage).where(
            SearchMessage.chat_id == chat_id, SearchMessage.message_index.in_(indexes)
        )
    )
    if versions:
        await session.execute(insert(SearchMessage), list(versions))


async def chat_ids(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    return await entity_ids(session, Chat, after=after, limit=limit)


async def forget_all(session: AsyncSession) -> None:
    """Empty the index (before a reindex)."""
    await session.execute(delete(SearchMessage))
    await session.execute(delete(SearchEntry))
    await session.execute(delete(SearchedChat))


# --- erasure ---------------------------------------------------------------------------------


async def erase_index_of_profiles(session: AsyncSession, profile_ids: Sequence[uuid.UUID]) -> int:
    """Delete every index entry that belongs to these profiles: their messages (every
    version), their cards and contacts, the profiles themselves. For the erasure of a user
    or a profile; returns the number of rows deleted. (What the index holds is derived from
    rows that the erasure removes anyway: a reindex would not bring it back.)"""
    ids = list(profile_ids)
    if not ids:
        return 0
    entries = await session.execute(
        delete(SearchEntry).where(
            or_(SearchEntry.profile_id.in_(ids), SearchEntry.entity_id.in_(ids))
        )
    )
    messages = await session.execute(delete(SearchMessage).where(SearchMessage.profile_id.in_(ids)))
    return int(getattr(entries, "rowcount", 0) or 0) + int(getattr(messages, "rowcount", 0) or 0)


async def erase_index_of_user(session: AsyncSession, user_id: uuid.UUID) -> int:
    """:func:`erase_index_of_profiles` for every profile of a user (deleted ones included)."""
    ids = (await session.scalars(select(Profile.id).where(Profile.user_id == user_id))).all()
    return await erase_index_of_profiles(session, list(ids))
