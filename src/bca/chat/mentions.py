"""Mentions: ``<@profile_id>`` in a message's body names a participant; the client renders it.

A post whose body holds such tokens runs two more statements (a plain post none): the
mentioned profiles that take part in the chat, are not the poster's and do not block the
poster become ``chat_mentions`` rows. They drive the chat list's ``unread_mentions`` (mentions
after my read marker), ``GET /v1/mentions`` (my recent mentions across chats) and push: a
mention is pushed even when the chat is muted (``push_delivery``), never from a profile the
recipient blocks, never to the sender.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import and_, delete, exists, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.chat.models import Chat, ChatEvent, Mention, Participant
from bca.chat.schemas import EventRead, FileRef
from bca.core.ids import new_id
from bca.files.models import StoredFile
from bca.profiles.models import Profile, Relation

MAX_MENTIONS = 50
_TOKEN = re.compile(
    r"<@([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})>"
)


def mentioned_in(body: str | None) -> list[uuid.UUID]:
    """The profile ids a body mentions, in order, each once (at most ``MAX_MENTIONS``)."""
    if not body or "<@" not in body:
        return []
    found = dict.fromkeys(uuid.UUID(match) for match in _TOKEN.findall(body))
    return list(found)[:MAX_MENTIONS]


async def record_mentions(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    index: int,
    sender_profile_id: uuid.UUID,
    sender_user_id: uuid.UUID,
    profile_ids: list[uuid.UUID],
    at: datetime,
) -> list[uuid.UUID]:
    """The mentioned profiles present in the chat, alive, not the sender's and not blocking
    the sender become mentions (one read, one insert); answers those recorded."""
    if not profile_ids:
        return []
    blocks_sender = exists().where(
        Relation.profile_id == Participant.profile_id,
        Relation.target_id == sender_profile_id,
        Relation.status == "block",
    )
    rows = (
        select(
            literal(chat_id, Mention.chat_id.type),
            literal(index, Mention.message_index.type),
            Participant.profile_id,
            Participant.user_id,
            literal(at, Mention.created_at.type),
        )
        .join(Profile, Profile.id == Participant.profile_id)
        .where(
            Participant.chat_id == chat_id,
            Participant.profile_id.in_(profile_ids),
            Participant.left_at.is_(None),
            Participant.user_id != sender_user_id,
            Profile.deleted_at.is_(None),
            ~blocks_sender,
        )
    )
    found = (await session.execute(rows)).all()
    if found:
        await session.execute(
            insert(Mention),
            [
                {
                    "id": new_id(),
                    "chat_id": row[0],
                    "message_index": row[1],
                    "profile_id": row[2],
                    "user_id": row[3],
                    "created_at": row[4],
                }
                for row in found
            ],
        )
    return [row[2] for row in found]


async def update_mentions(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    index: int,
    sender_profile_id: uuid.UUID,
    sender_user_id: uuid.UUID,
    body: str,
    at: datetime,
) -> list[uuid.UUID]:
    """After an edit of message ``index`` to ``body``: its mentions follow the new text. The
    profiles it mentions and did not before are recorded (under :func:`record_mentions`'s
    rules), those it no longer mentions are removed; answers the profiles newly recorded (to
    notify). A message whose mentions did not change costs one read."""
    wanted = mentioned_in(body)
    recorded = set(
        (
            await session.scalars(
                select(Mention.profile_id).where(
                    Mention.chat_id == chat_id, Mention.message_index == index
                )
            )
        ).all()
    )
    gone = recorded - set(wanted)
    if gone:
        await session.execute(
            delete(Mention).where(
                Mention.chat_id == chat_id,
                Mention.message_index == index,
                Mention.profile_id.in_(gone),
            )
        )
    return await record_mentions(
        session,
        chat_id=chat_id,
        index=index,
        sender_profile_id=sender_profile_id,
        sender_user_id=sender_user_id,
        profile_ids=[profile_id for profile_id in wanted if profile_id not in recorded],
        at=at,
    )


async def my_mentions(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    public_url: str,
) -> list[tuple[Mention, EventRead]]:
    """My mentions, newest first, in chats I take part in now (messages not deleted)."""
    query = (
        select(Mention, ChatEvent, StoredFile)
        .join(
            ChatEvent,
            and_(ChatEvent.chat_id == Mention.chat_id, ChatEvent.index == Mention.message_index),
        )
        .join(Chat, Chat.id == Mention.chat_id)
        .join(
            Participant,
            and_(
                Participant.chat_id == Mention.chat_id,
                Participant.profile_id == Mention.profile_id,
                Participant.left_at.is_(None),
                Participant.joined_index <= Mention.message_index,
            ),
        )
        .join(Profile, Profile.id == Mention.profile_id)
        .outerjoin(
            StoredFile, and_(StoredFile.id == ChatEvent.file_id, StoredFile.deleted_at.is_(None))
        )
        .where(
            Mention.user_id == user_id,
            ChatEvent.deleted_at.is_(None),
            Profile.deleted_at.is_(None),
        )
        .order_by(Mention.created_at.desc(), Mention.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(
            or_(
                Mention.created_at < before[0],
                and_(Mention.created_at == before[0], Mention.id < before[1]),
            )
        )
    rows = (await session.execute(query)).all()
    return [
        (mention, EventRead.from_row(event, FileRef.from_row(public_url, stored)))
        for mention, event, stored in rows
    ]
