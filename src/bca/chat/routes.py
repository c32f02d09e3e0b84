from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.chat import (
    chats,
    event_reads,
    forwarding,
    mentions,
    messages,
    pins,
    reactions,
    scheduled,
    threads,
)
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
    MessageForward,
    MessageReactions,
    ParticipantAdd,
    ParticipantRead,
    PinRead,
    ReadMarker,
    ScheduledMessageRead,
    ScheduledMessageUpdate,
    ScheduledStatus,
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
        **problems(403, 404, 409),
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
    responses=problems(403, 409),
)
async def add_participant(
    chat_id: uuid.UUID,
    data: ParticipantAdd,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> EventRead:
    """Invite a profile that follows, or is followed by, my profile in this chat."""
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


# --- conversations: reactions, mentions, threads, pins, forwards ------------------------------

Emoji = Annotated[str, Path(min_length=1, max_length=64, description="One emoji (URL-encoded).")]


@router.put(
    "/chats/{chat_id}/messages/{index}/reactions/{emoji}",
    response_model=MessageReactions,
    responses=problems(409),
    summary="React to a message",
)
async def add_reaction(
    chat_id: uuid.UUID,
    index: EventIndex,
    emoji: Emoji,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> MessageReactions:
    """One emoji per person per message; again is a no-op (`event` null). A change is a
    `reaction_added` event. 409 `limit_reached` past 20 different emoji of one person."""
    return await reactions.add_reaction(
        session, backends, user_id=user.id, chat_id=chat_id, index=index, emoji=emoji
    )


@router.delete(
    "/chats/{chat_id}/messages/{index}/reactions/{emoji}",
    response_model=MessageReactions,
    summary="Take back a reaction",
)
async def remove_reaction(
    chat_id: uuid.UUID,
    index: EventIndex,
    emoji: Emoji,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> MessageReactions:
    """A change is a `reaction_removed` event; a reaction I did not make is a no-op."""
    return await reactions.remove_reaction(
        session, backends, user_id=user.id, chat_id=chat_id, index=index, emoji=emoji
    )


@router.get(
    "/chats/{chat_id}/messages/{index}/replies",
    response_model=EventsPage,
    summary="A message's thread",
)
async def list_replies(
    chat_id: uuid.UUID,
    index: EventIndex,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    after: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS_PAGE)] = 100,
) -> EventsPage:
    """The messages that reply to it (`reply_to`), oldest first, after `after`."""
    return await threads.list_replies(
        session,
        user_id=user.id,
        chat_id=chat_id,
        index=index,
        after=after,
        limit=limit,
        public_url=backends.settings.public_url,
    )


@router.get("/chats/{chat_id}/pins", response_model=Page[PinRead], summary="Pinned messages")
async def list_pins(
    chat_id: uuid.UUID, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> Page[PinRead]:
    """The most recently pinned first; at most 50 (a chat holds no more)."""
    items = await pins.list_pins(
        session, user_id=user.id, chat_id=chat_id, public_url=backends.settings.public_url
    )
    return Page(items=items, next_cursor=None)


@router.put(
    "/chats/{chat_id}/pins/{index}",
    response_model=EventRead | None,
    responses=problems(403, 409),
    summary="Pin a message",
)
async def pin_message(
    chat_id: uuid.UUID,
    index: EventIndex,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> EventRead | None:
    """The chat's owner, or either person of a direct chat: the `message_pinned` event, or
    null when it was pinned already. 409 `limit_reached` past 50 pins."""
    return await pins.pin_message(session, backends, user_id=user.id, chat_id=chat_id, index=index)


@router.delete(
    "/chats/{chat_id}/pins/{index}",
    response_model=EventRead | None,
    responses=problems(403),
    summary="Unpin a message",
)
async def unpin_message(
    chat_id: uuid.UUID,
    index: EventIndex,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> EventRead | None:
    """The `message_unpinned` event, or null when it was not pinned."""
    return await pins.unpin_message(
        session, backends, user_id=user.id, chat_id=chat_id, index=index
    )


@router.post(
    "/chats/{chat_id}/messages/{index}/forward",
    status_code=201,
    response_model=EventRead,
    responses=problems(409),
    summary="Forward a message to another chat",
)
async def forward_message(
    chat_id: uuid.UUID,
    index: EventIndex,
    data: MessageForward,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    idempotency_key: IdempotencyKey = None,
) -> EventRead:
    """The copy, a `message` of the chat `chat_id` with `forwarded` (the original's author and
    time); a file is shared, not copied. 404 for a chat or message I do not read."""
    return await forwarding.forward_message(
        session,
        backends,
        user_id=user.id,
        chat_id=chat_id,
        index=index,
        to_chat_id=data.chat_id,
        idempotency_key=idempotency_key,
    )


@router.get("/mentions", response_model=Page[EventRead], summary="My recent mentions")
async def list_mentions(
    user: CurrentUser, session: SessionDep, backends: BackendsDep, page: PageDep
) -> Page[EventRead]:
    """Messages that mention one of my profiles, newest first, across the chats I take part in."""
    rows = await mentions.my_mentions(
        session,
        user_id=user.id,
        before=page.after,
        limit=page.fetch_limit,
        public_url=backends.settings.public_url,
    )
    return page.cut(
        rows,
        key=lambda row: [row[0].created_at.isoformat(), str(row[0].id)],
        item=lambda row: row[1],
    )
