"""Every SQL statement of contacts. A contact is reached only through its profile, which the
service has already checked to be one of the caller's own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, cast, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bca.contacts.models import Contact
from bca.core.db import LIKE_ESCAPE, contains_pattern
from bca.core.pagination import keyset_after
from bca.core.time import utcnow
from bca.profiles.matching import text_match

MAX_CONTACTS_PER_PROFILE = 10_000


async def get_live(
    session: AsyncSession, profile_id: uuid.UUID, contact_id: uuid.UUID, *, for_update: bool = False
) -> Contact | None:
    query = select(Contact).where(
        Contact.id == contact_id, Contact.profile_id == profile_id, Contact.deleted_at.is_(None)
    )
    if for_update:
        query = query.with_for_update()
    contact: Contact | None = await session.scalar(query.execution_options(populate_existing=True))
    return contact


async def count_live(session: AsyncSession, profile_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.profile_id == profile_id, Contact.deleted_at.is_(None))
    )
    return int(count or 0)


async def list_of_profile(
    session: AsyncSession,
    profile_id: uuid.UUID,
    *,
    query: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Contact]:
    """Oldest first; ``query`` matches name, organisation, title, note, emails and phones by
    the search index's tokens (``profiles.matching``), or as a case-insensitive substring in a
    process without search."""
    statement = select(Contact).where(
        Contact.profile_id == profile_id,
        Contact.deleted_at.is_(None),
        keyset_after(Contact.created_at, Contact.id, after),
    )
    match = text_match()
    if query and match is not None:
        ids = await match(session, query, ("contact",))
        statement = statement.where(Contact.id.in_(ids) if ids is not None else false())
    elif query:
        pattern = contains_pattern(query)
        statement = statement.where(
            or_(
                Contact.name.ilike(pattern, escape=LIKE_ESCAPE),
                Contact.organization.ilike(pattern, escape=LIKE_ESCAPE),
                Contact.title.ilike(pattern, escape=LIKE_ESCAPE),
                Contact.note.ilike(pattern, escape=LIKE_ESCAPE),
                cast(Contact.emails, String).ilike(pattern, escape=LIKE_ESCAPE),
                cast(Contact.phones, String).ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    rows = await session.scalars(statement.order_by(Contact.created_at, Contact.id).limit(limit))
    return rows.all()


async def of_book(
    session: AsyncSession, profile_id: uuid.UUID, contact_ids: Sequence[uuid.UUID] | None = None
) -> Sequence[Contact]:
    """The live contacts of a profile (``contact_ids``: only those), ordered by id."""
    statement = select(Contact).where(
        Contact.profile_id == profile_id, Contact.deleted_at.is_(None)
    )
    if contact_ids is not None:
        statement = statement.where(Contact.id.in_(contact_ids))
    return (await session.scalars(statement.order_by(Contact.id))).all()


async def ever_in_book(
    session: AsyncSession, profile_id: uuid.UUID, contact_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these contacts belong (or belonged, deleted since) to the profile."""
    if not contact_ids:
        return set()
    rows = await session.scalars(
        select(Contact.id).where(Contact.profile_id == profile_id, Contact.id.in_(contact_ids))
    )
    return set(rows.all())


async def soft_delete_of_profile(session: AsyncSession, profile_id: uuid.UUID) -> list[uuid.UUID]:
    ids = list(
        (
            await session.scalars(
                select(Contact.id).where(
                    Contact.profile_id == profile_id, Contact.deleted_at.is_(None)
                )
            )
        ).all()
    )
    if ids:
        await session.execute(
            update(Contact).where(Contact.id.in_(ids)).values(deleted_at=utcnow())
        )
    return ids
