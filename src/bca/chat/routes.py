"""Chats, their participants, messages, events and read markers (scheduled messages:
``scheduled_routes``; reactions, threads, pins, forwards and mentions: ``conversation_routes``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.chat import chats, event_reads, messages, scheduled
from bca.chat.schemas import (
    MAX_EVENTS_PAGE,
    MAX_INDEX,
    MAX_WAIT_SECONDS,
    ChatCreate,
    ChatRead,
    ChatUpdate,
    EventRead,
    EventsPage,
    MessageCreate,
    MessageEdit,
    ParticipantAdd,
    ParticipantRead,
    ReadMarker,
    ScheduledMessageRead,
)
from bca.core.http import PageDep, problems
from bca.core.pagination import Page

router = APIRouter(prefix="/v1", tags=["chat"])

NO_CONTENT: dict[str, Any] = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="A retry with the same key returns the first result instead of posting again.",
    ),
]

EventIndex = Annotated[int, Path(ge=1, le=MAX_INDEX)]


@router.post(
    "/chats",
    status_code=201,
    response_model=ChatRead,
    responses={
        200: {"model": ChatRead, "description": "The existing direct chat of the pair"},
        **problems(403, 404, 409, 429),
    },
)
async def create_chat(
    data: ChatCreate,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    response: Response,
) -> ChatRead:
    chat, created = await chats.create_chat(session, backends, user_id=user.id, data=data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return chat


@router.get("/chats", response_model=Page[ChatRead])
async def list_chats(
    user: CurrentUser, session: SessionDep, backends: BackendsDep, page: PageDep
) -> Page[ChatRead]:
    """Most recent activity first (``last_event_at``), each with its newest event."""
    rows = await chats.list_chats(
        session,
        user_id=user.id,
        before=page.after,
        limit=page.fetch_limit,
        public_url=backends.settings.public_url,
    )
    return page.cut(
        rows,
        key=lambda chat: [chat.last_event_at.isoformat(), str(chat.id)],
        item=lambda chat: chat,
    )


@router.get("/chats/{chat_id}", response_model=ChatRead)
async def get_chat(
    chat_id: uuid.UUID, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> ChatRead:
    return await chats.get_chat(
        session, user_id=user.id, chat_id=chat_id, public_url=backends.settings.public_url
    )


@router.patch("/chats/{chat_id}", response_model=ChatRead, responses=problems(403))
async def update_chat(
    chat_id: uuid.UUID,
    data: ChatUpdate,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> ChatRead:
    return await chats.update_chat(session, backends, user_id=user.id, chat_id=chat_id, data=data)


@router.get("/chats/{chat_id}/participants", response_model=Page[ParticipantRead])
async def list_participants(
    chat_id: uuid.UUID, user: CurrentUser, session: SessionDep, page: PageDep
) -> Page[ParticipantRead]:
    chat, rows = await chats.list_participants(
        session, user_id=user.id, chat_id=chat_id, after=page.after, limit=page.fetch_limit
    )
    return page.cut(
        rows,
        key=lambda row: [row.joined_at.isoformat(), str(row.profile_id)],
        item=lambda row: ParticipantRead(
            profile_id=row.profile_id,
            joined_at=row.joined_at,
            owner=row.profile_id == chat.owner_profile_id,
        ),
    )


@router.post(
    "/chats/{chat_id}/participants",
    status_code=201,
    response_model=EventRead,
    responses=problems(403, 409, 429),
)
async def add_participant(
    chat_id: uuid.UUID,
    data: ParticipantAdd,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> EventRead:
    """Invite a profile into this chat: one that follows my profile joins; anyone else is
    asked (a message request), as their profile allows."""
    return await chats.add_participant(
        session, backends, user_id=user.id, chat_id=chat_id, profile_id=data.profile_id
    )


@router.delete("/chats/{chat_id}/participants/{profile_id}", **NO_CONTENT, responses=problems(403))
async def remove_participant(
    chat_id: uuid.UUID,
    profile_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> None:
    """My own profile: leave the chat. Anyone else's: kick them (owner only)."""
    await chats.remove_participant(
        session, backends, user_id=user.id, chat_id=chat_id, profile_id=profile_id
    )


@router.post(
    "/chats/{chat_id}/messages",
    status_code=201,
    response_model=EventRead,
    responses={
        202: {"model": ScheduledMessageRead, "description": "Scheduled (with `send_at`)"},
        **problems(409),
    },
)
async def post_message(
    chat_id: uuid.UUID,
    data: MessageCreate,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    idempotency_key: IdempotencyKey = None,
) -> EventRead | Response:
    """Post a message now (201 `event`), or with `send_at` keep it to be sent then (202)."""
    if data.send_at is not None:
        kept = await scheduled.schedule_message(
            session,
            backends,
            user_id=user.id,
            chat_id=chat_id,
            data=data,
            idempotency_key=idempotency_key,
        )
        return JSONResponse(jsonable_encoder(kept), status_code=status.HTTP_202_ACCEPTED)
    return await messages.post_message(
        session,
        backends,
        user_id=user.id,
        chat_id=chat_id,
        data=data,
        idempotency_key=idempotency_key,
    )


@router.patch(
    "/chats/{chat_id}/messages/{index}", response_model=EventRead, responses=problems(403)
)
async def edit_message(
    chat_id: uuid.UUID,
    index: EventIndex,
    data: MessageEdit,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> EventRead:
    return await messages.edit_message(
        session, backends, user_id=user.id, chat_id=chat_id, index=index, body=data.body
    )


@router.delete("/chats/{chat_id}/messages/{index}", **NO_CONTENT, responses=problems(403))
async def delete_message(
    chat_id: uuid.UUID,
    index: EventIndex,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> None:
    await messages.delete_message(session, backends, user_id=user.id, chat_id=chat_id, index=index)


@router.get("/chats/{chat_id}/events", response_model=EventsPage)
async def list_events(
    chat_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    after: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS_PAGE)] = 100,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
) -> EventsPage:
    """Events after ``after`` in index order; ``wait`` long-polls up to that many seconds."""
    return await event_reads.read_events(
        session,
        backends,
        user_id=user.id,
        chat_id=chat_id,
        after=after,
        limit=limit,
        wait=wait,
    )


@router.post("/chats/{chat_id}/read", **NO_CONTENT)
async def mark_read(
    chat_id: uuid.UUID, data: ReadMarker, user: CurrentUser, session: SessionDep
) -> None:
    """Move my read marker forward (never back); unread counts drop accordingly."""
    await chats.mark_read(session, user_id=user.id, chat_id=chat_id, index=data.index)
