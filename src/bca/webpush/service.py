"""Web Push subscriptions: subscribe (one per session, replacing), unsubscribe, forget."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import AuthSession
from bca.backends import Backends
from bca.backends.webpush import EndpointRefused, valid_subscription_keys
from bca.core.errors import NotFound
from bca.webpush.errors import InvalidSubscription, WebPushOff
from bca.webpush.models import WebPushSubscription
from bca.webpush.schemas import WebPushSubscriptionCreate


def public_key(backends: Backends) -> str:
    if not backends.web_push.enabled:
        raise WebPushOff()
    return backends.web_push.public_key


async def subscribe(
    session: AsyncSession,
    backends: Backends,
    *,
    auth_session: AuthSession,
    data: WebPushSubscriptionCreate,
) -> WebPushSubscription:
    """Keep the session's subscription, replacing the one it had (a new id)."""
    if not backends.web_push.enabled:
        raise WebPushOff()
    if not valid_subscription_keys(data.keys.p256dh, data.keys.auth):
        raise InvalidSubscription("keys", "The keys are not a browser's push subscription keys.")
    try:
        await backends.web_push.check(data.endpoint)
    except EndpointRefused as refused:
        raise InvalidSubscription("endpoint", str(refused)) from None
    await session.execute(
        delete(WebPushSubscription).where(WebPushSubscription.session_id == auth_session.id)
    )
    subscription = WebPushSubscription(
        session_id=auth_session.id,
        user_id=auth_session.user_id,
        endpoint=data.endpoint,
        p256dh=data.keys.p256dh,
        auth=data.keys.auth,
        previews=data.previews,
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def unsubscribe(
    session: AsyncSession, *, user_id: uuid.UUID, subscription_id: uuid.UUID
) -> None:
    """Delete one of the user's subscriptions (any of their sessions'); 404 for others'."""
    removed = await session.execute(
        delete(WebPushSubscription)
        .where(WebPushSubscription.id == subscription_id, WebPushSubscription.user_id == user_id)
        .returning(WebPushSubscription.id)
    )
    if removed.first() is None:
        raise NotFound()


async def forget(session: AsyncSession, subscription_ids: Iterable[uuid.UUID]) -> None:
    """Delete subscriptions the push service says are gone (404/410)."""
    ids = list(subscription_ids)
    if ids:
        await session.execute(delete(WebPushSubscription).where(WebPushSubscription.id.in_(ids)))


async def of_session(session: AsyncSession, session_id: uuid.UUID) -> WebPushSubscription | None:
    return (
        await session.execute(
            select(WebPushSubscription).where(WebPushSubscription.session_id == session_id)
        )
    ).scalar_one_or_none()
