"""Message requests: the chats I was asked into by profiles I do not follow, and my answer
(``chat/requests.py`` holds the rules)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.chat import requests
from bca.chat.schemas import ChatRead, ChatRequestRead
from bca.core.http import PageDep
from bca.core.pagination import Page

router = APIRouter(prefix="/v1", tags=["chat"])

NO_CONTENT: dict[str, Any] = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}


@router.get("/chat-requests", response_model=Page[ChatRequestRead])
async def list_requests(
    user: CurrentUser, session: SessionDep, backends: BackendsDep, page: PageDep
) -> Page[ChatRequestRead]:
    """The requests I have not answered, most recent activity first: each chat (as in
    ``GET /v1/chats``), who asked, and their first message."""
    rows = await requests.list_requests(
        session,
        user_id=user.id,
        before=page.after,
        limit=page.fetch_limit,
        public_url=backends.settings.public_url,
    )
    return page.cut(
        rows,
        key=lambda row: [row.chat.last_event_at.isoformat(), str(row.chat.id)],
        item=lambda row: row,
    )


@router.get("/chat-requests/{chat_id}", response_model=ChatRequestRead)
async def get_request(
    chat_id: uuid.UUID, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> ChatRequestRead:
    """One request I have not answered (404 for any other chat)."""
    return await requests.get_request(
        session, user_id=user.id, chat_id=chat_id, public_url=backends.settings.public_url
    )


@router.post("/chat-requests/{chat_id}/accept", response_model=ChatRead)
async def accept_request(
    chat_id: uuid.UUID, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> ChatRead:
    """The chat becomes one of my chats, with its pushes; nobody else is told."""
    return await requests.accept(
        session, user_id=user.id, chat_id=chat_id, public_url=backends.settings.public_url
    )


@router.post("/chat-requests/{chat_id}/decline", **NO_CONTENT)
async def decline_request(chat_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """I leave the chat silently: no event, and to the others nothing changes."""
    await requests.decline(session, user_id=user.id, chat_id=chat_id)


@router.post("/chat-requests/{chat_id}/block", **NO_CONTENT)
async def block_request(chat_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """Decline, and block the profile that asked (from the profile it asked)."""
    await requests.block(session, user=user, chat_id=chat_id)
