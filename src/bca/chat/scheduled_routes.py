"""Scheduled messages: mine, listed, edited and cancelled while they wait (a post with
``send_at`` is in ``routes``)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.chat import scheduled
from bca.chat.routes import NO_CONTENT
from bca.chat.schemas import ScheduledMessageRead, ScheduledMessageUpdate, ScheduledStatus
from bca.core.http import PageDep, problems
from bca.core.pagination import Page

router = APIRouter(prefix="/v1", tags=["chat"])


@router.get("/scheduled-messages", response_model=Page[ScheduledMessageRead])
async def list_scheduled_messages(
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    page: PageDep,
    chat_id: uuid.UUID | None = None,
    status: ScheduledStatus | None = None,
) -> Page[ScheduledMessageRead]:
    """My scheduled messages, soonest first (in one chat, of one status, when asked)."""
    rows = await scheduled.list_scheduled(
        session,
        backends,
        user_id=user.id,
        chat_id=chat_id,
        status=status,
        after=page.after,
        limit=page.fetch_limit,
    )
    return page.cut(
        rows, key=lambda row: [row.send_at.isoformat(), str(row.id)], item=lambda row: row
    )


@router.get("/scheduled-messages/{scheduled_id}", response_model=ScheduledMessageRead)
async def get_scheduled_message(
    scheduled_id: uuid.UUID, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> ScheduledMessageRead:
    return await scheduled.get_scheduled(
        session, backends, user_id=user.id, scheduled_id=scheduled_id
    )


@router.patch(
    "/scheduled-messages/{scheduled_id}",
    response_model=ScheduledMessageRead,
    responses=problems(409),
)
async def update_scheduled_message(
    scheduled_id: uuid.UUID,
    data: ScheduledMessageUpdate,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> ScheduledMessageRead:
    """A new text or time, while it waits to be sent."""
    return await scheduled.update_scheduled(
        session, backends, user_id=user.id, scheduled_id=scheduled_id, data=data
    )


@router.delete("/scheduled-messages/{scheduled_id}", **NO_CONTENT, responses=problems(409))
async def cancel_scheduled_message(
    scheduled_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    """Cancel it while it waits to be sent (409 once sent)."""
    await scheduled.cancel_scheduled(session, user_id=user.id, scheduled_id=scheduled_id)
