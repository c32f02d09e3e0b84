"""Every SQL statement of the administration domain: audit records and the console's reads.

The console's lists and detail pages are read by the admin library (see ``console.py``); what
is here are the extra reads of a detail page, each bounded by ``limit``, and the dashboard's
counts. Nothing here reads a chat message's body.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import AuthSession, User
from bca.admin.models import AuditRecord
from bca.cards.models import Card
from bca.chat.models import Chat, Participant
from bca.core.time import utcnow
from bca.files.models import StoredFile
from bca.profiles.models import Profile
from bca.sync.models import ChangeCounter, Snapshot


def add_record(session: AsyncSession, record: AuditRecord) -> None:
    session.add(record)


async def records_about(
    session: AsyncSession, *, target_type: str, target_id: str, limit: int
) -> Sequence[AuditRecord]:
    """The newest audit records of one target (index ``target_type, target_id``)."""
    return (
        await session.scalars(
            select(AuditRecord)
            .where(AuditRecord.target_type == target_type, AuditRecord.target_id == target_id)
            .order_by(AuditRecord.created_at.desc(), AuditRecord.id)
            .limit(limit)
        )
    ).all()


async def sessions_of(session: AsyncSession, user_id: uuid.UUID, *, limit: int) -> Sequence[Any]:
    """A user's newest sessions, live or not, without their push tokens."""
    rows = await session.execute(
        select(
            AuthSession.id,
            AuthSession.device_name,
            AuthSession.created_at,
            AuthSession.last_used_at,
            AuthSession.expires_at,
            AuthSession.revoked_at,
        )
        .where(AuthSession.user_id == user_id)
        .order_by(AuthSession.created_at.desc(), AuthSession.id)
        .limit(limit)
    )
    return rows.all()


async def profiles_of(session: AsyncSession, user_id: uuid.UUID, *, limit: int) -> Sequence[Any]:
    rows = await session.execute(
        select(Profile.id, Profile.name, Profile.private, Profile.deleted_at)
        .where(Profile.user_id == user_id)
        .order_by(Profile.created_at, Profile.id)
        .limit(limit)
    )
    return rows.all()


async def sync_state(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[ChangeCounter | None, Snapshot | None]:
    counter = await session.get(ChangeCounter, user_id)
    snapshot = await session.get(Snapshot, user_id)
    return counter, snapshot


async def participants_of(
    session: AsyncSession, chat_id: uuid.UUID, *, limit: int
) -> Sequence[Any]:
    """Who takes or took part in a chat, with their profile's name; never any event."""
    rows = await session.execute(
        select(
            Participant.profile_id,
            Profile.name,
            Participant.user_id,
            Participant.joined_at,
            Participant.left_at,
        )
        .join(Profile, Profile.id == Participant.profile_id)
        .where(Participant.chat_id == chat_id)
        .order_by(Participant.joined_at, Participant.profile_id)
        .limit(limit)
    )
    return rows.all()


def _count(statement: Select[Any]) -> Select[int]:
    return select(func.count()).select_from(statement.subquery())


async def counts(session: AsyncSession) -> dict[str, int]:
    """The dashboard's numbers, in one round trip: each is a count over one table."""
    now = utcnow()
    statements: dict[str, Select[Any]] = {
        "users": select(User.id),
        "admins": select(User.id).where(User.role == "admin"),
        "locked users": select(User.id).where(User.locked.is_(True)),
        "deactivated users": select(User.id).where(User.deactivated_at.is_not(None)),
        "live sessions": select(AuthSession.id).where(
            AuthSession.revoked_at.is_(None), AuthSession.expires_at > now
        ),
        "profiles": select(Profile.id).where(Profile.deleted_at.is_(None)),
        "cards": select(Card.id).where(Card.deleted_at.is_(None)),
        "chats": select(Chat.id),
        "files": select(StoredFile.id).where(StoredFile.deleted_at.is_(None)),
        "audit records": select(AuditRecord.id),
    }
    row = (
        await session.execute(
            select(*(_count(statement).scalar_subquery() for statement in statements.values()))
        )
    ).one()
    return dict(zip(statements, (int(value) for value in row), strict=True))
