"""Every SQL statement of files, scoped to who may see each file (``files.visibility``)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.time import utcnow
from bca.files import uses
from bca.files.models import StoredFile
from bca.files.uses import file_visible


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


async def still_used(session: AsyncSession, file_id: uuid.UUID) -> bool:
    """A use other than the one letting it go keeps the file (``files.uses.KEEPERS``)."""
    found = await session.scalar(select(uses.still_used(file_id)))
    return bool(found)


async def mark_deleted(session: AsyncSession, row: StoredFile) -> None:
    row.deleted_at = utcnow()
    await session.flush()


async def get_own(
    session: AsyncSession, *, file_id: uuid.UUID, owner_user_id: uuid.UUID
) -> StoredFile | None:
    stored: StoredFile | None = await session.scalar(
        select(StoredFile).where(
            StoredFile.id == file_id,
            StoredFile.owner_user_id == owner_user_id,
            StoredFile.deleted_at.is_(None),
        )
    )
    return stored
