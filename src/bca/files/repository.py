"""Every SQL statement of files, scoped to who may see each file.

A file is visible to its uploader, to the current participants of a chat it was posted in,
and to everyone who can see a profile or card that shows it as image or preview.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.cards.models import Card
from bca.cards.visibility import card_visible
from bca.chat.models import ChatEvent, Participant
from bca.core.time import utcnow
from bca.files.models import StoredFile
from bca.profiles.models import Profile
from bca.profiles.visibility import Viewer, exists_for


def file_visible(viewer: uuid.UUID) -> ColumnElement[bool]:
    in_my_chat = exists().where(
        ChatEvent.file_id == StoredFile.id,
        ChatEvent.deleted_at.is_(None),
        Participant.chat_id == ChatEvent.chat_id,
        Participant.user_id == viewer,
        Participant.left_at.is_(None),
    )
    as_profile_image = exists(
        select(Profile.id).where(Profile.image_file_id == StoredFile.id, exists_for(Viewer(viewer)))
    )
    as_card_preview = exists(
        select(Card.id)
        .join(Profile, Profile.id == Card.profile_id)
        .where(Card.preview_file_id == StoredFile.id, card_visible(Viewer(viewer)))
    )
    return and_(
        StoredFile.deleted_at.is_(None),
        or_(
            StoredFile.owner_user_id == viewer,
            in_my_chat,
            as_profile_image,
            as_card_preview,
        ),
    )


async def get_visible(
    session: AsyncSession, viewer: uuid.UUID, file_id: uuid.UUID
) -> StoredFile | None:
    row: StoredFile | None = await session.scalar(
        select(StoredFile).where(StoredFile.id == file_id, file_visible(viewer))
    )
    return row


async def get_live(session: AsyncSession, file_id: uuid.UUID) -> StoredFile | None:
    row: StoredFile | None = await session.scalar(
        select(StoredFile).where(StoredFile.id == file_id, StoredFile.deleted_at.is_(None))
    )
    return row


async def posted_in_a_chat(session: AsyncSession, file_id: uuid.UUID) -> bool:
    found = await session.scalar(select(exists().where(ChatEvent.file_id == file_id)))
    return bool(found)


async def mark_deleted(session: AsyncSession, row: StoredFile) -> None:
    row.deleted_at = utcnow()
    await session.flush()
