from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from bca.accounts.dependencies import CurrentSession, CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.webpush import service
from bca.webpush.schemas import WebPushKey, WebPushSubscriptionCreate, WebPushSubscriptionRead

router = APIRouter(prefix="/v1/push/web", tags=["push"])

NO_CONTENT: dict[str, Any] = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}


@router.get("/key", response_model=WebPushKey)
async def web_push_key(backends: BackendsDep) -> WebPushKey:
    """The server's VAPID public key, the ``applicationServerKey`` of ``PushManager.subscribe``.
    Public; 404 ``web_push_off`` when this server sends no Web Push."""
    return WebPushKey(key=service.public_key(backends))


@router.post("/subscriptions", status_code=201, response_model=WebPushSubscriptionRead)
async def subscribe(
    data: WebPushSubscriptionCreate,
    current: CurrentSession,
    session: SessionDep,
    backends: BackendsDep,
) -> WebPushSubscriptionRead:
    """Push new messages to this browser (one subscription per session: this replaces the
    session's previous one). The endpoint must be https on a known push service whose
    addresses are public (422 otherwise); ``previews`` lets notifications show the text."""
    subscription = await service.subscribe(session, backends, auth_session=current, data=data)
    return WebPushSubscriptionRead(id=subscription.id)


@router.delete("/subscriptions/{subscription_id}", **NO_CONTENT)
async def unsubscribe(subscription_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """Stop pushing to a browser of mine (404 for anyone else's subscription)."""
    await service.unsubscribe(session, user_id=user.id, subscription_id=subscription_id)
