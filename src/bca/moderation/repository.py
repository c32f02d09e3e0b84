"""Every SQL statement of reports: the reporter's reads (scoped to their own reports), the
message a reporter may report (one they see as a participant), and the moderator's queue."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.chat.models import ChatEvent, Participant
from bca.core.pagination import keyset_after
from bca.moderation.models import Report

CONTEXT_BEFORE = 5
"""Messages before the reported one that the moderator sees with it."""


async def visible_message(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    profile_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
) -> ChatEvent | None:
    """The live message at ``index`` if ``profile_id`` (the user's) took part when it was
    posted and still reads it (a present participant, or one who left after it)."""
    found: ChatEvent | None = await session.scalar(
        select(ChatEvent)
        .join(
            Participant,
            (Participant.chat_id == ChatEvent.chat_id)
            & (Participant.profile_id == profile_id)
            & (Participant.user_id == user_id),
        )
        .where(
            ChatEvent.chat_id == chat_id,
            ChatEvent.index == index,
            ChatEvent.type == "message",
            ChatEvent.deleted_at.is_(None),
            Participant.joined_index <= index,
            or_(Participant.left_index.is_(None), Participant.left_index > index),
        )
    )
    return found


def add(session: AsyncSession, report: Report) -> None:
    session.add(report)


async def list_of_reporter(
    session: AsyncSession,
    reporter_user_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Report]:
    return (
        await session.scalars(
            select(Report)
            .where(
                Report.reporter_user_id == reporter_user_id,
                keyset_after(Report.created_at, Report.id, after),
            )
            .order_by(Report.created_at, Report.id)
            .limit(limit)
        )
    ).all()


async def get_of_reporter(
    session: AsyncSession, reporter_user_id: uuid.UUID, report_id: uuid.UUID
) -> Report | None:
    found: Report | None = await session.scalar(
        select(Report).where(Report.id == report_id, Report.reporter_user_id == reporter_user_id)
    )
    return found


async def get(session: AsyncSession, report_id: uuid.UUID) -> Report | None:
    found: Report | None = await session.get(Report, report_id)
    return found


async def lock(session: AsyncSession, report_id: uuid.UUID) -> Report | None:
    found: Report | None = await session.scalar(
        select(Report)
        .where(Report.id == report_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def context_of(session: AsyncSession, report: Report) -> Sequence[ChatEvent]:
    """The reported message and the five messages before it, oldest first."""
    if report.chat_id is None or report.message_index is None:
        return []
    rows = (
        await session.scalars(
            select(ChatEvent)
            .where(
                ChatEvent.chat_id == report.chat_id,
                ChatEvent.index <= report.message_index,
                ChatEvent.type == "message",
            )
            .order_by(ChatEvent.index.desc())
            .limit(CONTEXT_BEFORE + 1)
        )
    ).all()
    return list(reversed(rows))
