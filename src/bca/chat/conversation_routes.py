"""Conversations around messages: reactions, threads, pins, forwards and my mentions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.chat import forwarding, mentions, pins, reactions, threads
from bca.chat.routes import EventIndex, IdempotencyKey
from bca.chat.schemas import (
    MAX_EVENTS_PAGE,
    MAX_INDEX,
    EventRead,
    EventsPage,
    MessageForward,
    MessageReactions,
    PinRead,
)
from bca.core.http import PageDep, problems
from bca.core.pagination import Page

router = APIRouter(prefix="/v1", tags=["chat"])

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
