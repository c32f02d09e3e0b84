"""Background tasks of the chat domain."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from bca.accounts import sessions as accounts_sessions
from bca.backends import Backends
from bca.backends.push import PushMessage, PushResult
from bca.backends.tasks import RetryableTaskError
from bca.backends.webpush import WebPushResult, payload_json
from bca.backends.webpush import WebPushTarget as BrowserTarget
from bca.chat import idempotency
from bca.chat.push_delivery import (
    PushDelivery,
    PushTarget,
    WebPushTarget,
    push_delivery,
    request_notice,
)
from bca.core.time import utcnow
from bca.webpush import service as webpush_service

logger = logging.getLogger(__name__)

PUSH_BODY_CHARS = 180
PUSH_CONCURRENCY = 10
PUSH_MARK_TTL = 24 * 3600
"""How long a device is remembered as notified of a message, so a retried task skips it."""


def _push_mark(chat_id: str, occasion: str, session_id: uuid.UUID) -> str:
    return f"chat-push:{chat_id}:{occasion}:{session_id}"


def _web_push_mark(chat_id: str, occasion: str, subscription_id: uuid.UUID) -> str:
    return f"chat-webpush:{chat_id}:{occasion}:{subscription_id}"


async def send_push(
    backends: Backends, *, chat_id: str, index: int, mentioned: list[str] | None = None
) -> None:
    """Notify the devices (FCM) and browsers (Web Push) of a new message's recipients (see
    ``push_delivery``); with ``mentioned``, only those profiles, mentioned by an edit of the
    message (a device notified of the message itself may still hear of the mention, once).

    Enqueued only when push is configured. One read-only query finds the message, the devices
    and the browsers; the transaction ends before anything is sent, so slow push services never
    hold a database connection. Each device or browser is marked in the cache before its send,
    which makes a retried task skip those it already notified. Transient FCM trouble is retried
    by the FCM sender itself; a Web Push service's 429, 5xx or silence unmarks that browser and
    makes the task fail retryably, so the task layer retries it with its backoff. Tokens FCM no
    longer knows and subscriptions a push service calls gone (404/410) are forgotten.
    """
    only = None if mentioned is None else [uuid.UUID(profile_id) for profile_id in mentioned]
    async with backends.database.transaction() as session:
        delivery = await push_delivery(
            session, chat_id=uuid.UUID(chat_id), index=index, mentioned_only=only
        )
    if delivery is None:
        return
    occasion = str(index) if only is None else f"{index}:mention"
    limit = asyncio.Semaphore(PUSH_CONCURRENCY)
    if backends.push.enabled and delivery.targets:
        await _send_fcm(
            backends, delivery, chat_id=chat_id, index=index, occasion=occasion, limit=limit
        )
    if backends.web_push.enabled and delivery.web_targets:
        await _send_web_push(
            backends, delivery, chat_id=chat_id, index=index, occasion=occasion, limit=limit
        )


def _title(delivery: PushDelivery) -> str:
    sender = delivery.sender_name
    if delivery.direct or not delivery.chat_title:
        return sender
    return f"{sender} · {delivery.chat_title}"


def _short(text: str) -> str:
    return text[: PUSH_BODY_CHARS - 1] + "…" if len(text) > PUSH_BODY_CHARS else text


async def _send_fcm(
    backends: Backends,
    delivery: PushDelivery,
    *,
    chat_id: str,
    index: int,
    occasion: str,
    limit: asyncio.Semaphore,
) -> None:
    targets = delivery.targets
    title = _title(delivery)
    body = _short(delivery.body) if delivery.body else "Sent a file"
    data = {
        "type": "message",
        "chat_id": chat_id,
        "index": str(index),
        "profile_id": str(delivery.sender_profile_id),
    }

    async def notify(target: PushTarget) -> PushResult | None:
        mark = _push_mark(chat_id, occasion, target.session_id)
        if not await backends.cache.set_if_absent(mark, "1", ttl=PUSH_MARK_TTL):
            return None
        async with limit:
            message = PushMessage(token=target.token, title=title, body=body, data=data)
            return await backends.push.send(message)

    results = await asyncio.gather(*(notify(target) for target in targets))
    gone = [
        target
        for target, result in zip(targets, results, strict=True)
        if result is PushResult.unregistered
    ]
    if gone:
        async with backends.database.transaction() as session:
            for target in gone:
                await accounts_sessions.forget_push_token(
                    session, session_id=target.session_id, token=target.token
                )
        logger.info("forgot %d push tokens that FCM no longer knows", len(gone))


def web_push_payload(delivery: PushDelivery, *, chat_id: str, index: int, previews: bool) -> bytes:
    """What a browser's service worker gets: small, and the text only with previews on."""
    values: dict[str, object] = {
        "type": "message",
        "chat_id": chat_id,
        "index": index,
        "sender": delivery.sender_name,
        "profile_id": str(delivery.sender_profile_id),
    }
    if not delivery.direct and delivery.chat_title:
        values["chat_title"] = delivery.chat_title
    if previews:
        values["body"] = _short(delivery.body) if delivery.body else ""
    return payload_json(values)


async def _send_web_push(
    backends: Backends,
    delivery: PushDelivery,
    *,
    chat_id: str,
    index: int,
    occasion: str,
    limit: asyncio.Semaphore,
) -> None:
    targets = delivery.web_targets
    topic = uuid.UUID(chat_id).hex  # a newer push of the same chat replaces one not yet shown
    payloads = {
        previews: web_push_payload(delivery, chat_id=chat_id, index=index, previews=previews)
        for previews in (False, True)
    }

    async def notify(target: WebPushTarget) -> WebPushResult | None:
        mark = _web_push_mark(chat_id, occasion, target.subscription_id)
        if not await backends.cache.set_if_absent(mark, "1", ttl=PUSH_MARK_TTL):
            return None
        async with limit:
            browser = BrowserTarget(target.endpoint, target.p256dh, target.auth)
            result = await backends.web_push.send(browser, payloads[target.previews], topic=topic)
        if result is WebPushResult.retry:
            await backends.cache.delete(mark)
        return result

    results = await asyncio.gather(*(notify(target) for target in targets))
    gone = [
        target.subscription_id
        for target, result in zip(targets, results, strict=True)
        if result is WebPushResult.gone
    ]
    if gone:
        async with backends.database.transaction() as session:
            await webpush_service.forget(session, gone)
        logger.info("forgot %d Web Push subscriptions their push service calls gone", len(gone))
    retry = sum(result is WebPushResult.retry for result in results)
    if retry:
        raise RetryableTaskError(f"{retry} Web Push deliveries to retry")


async def send_request_notice(backends: Backends, *, chat_id: str, profile_id: str) -> None:
    """The one notice of a message request: quiet (no sound, no heads-up), naming who asks and
    nothing of what they wrote; sent once per device (a retried task skips those marked), and
    not at all once the request was answered or its invitee blocks the inviter."""
    async with backends.database.transaction() as session:
        notice = await request_notice(
            session, chat_id=uuid.UUID(chat_id), profile_id=uuid.UUID(profile_id)
        )
    if notice is None:
        return
    data = {
        "type": "chat_request",
        "chat_id": chat_id,
        "profile_id": str(notice.inviter_profile_id),
    }
    mark = f"chat-request:{chat_id}:{profile_id}"
    if backends.push.enabled:
        for target in notice.targets:
            if not await backends.cache.set_if_absent(
                f"{mark}:{target.session_id}", "1", ttl=PUSH_MARK_TTL
            ):
                continue
            message = PushMessage(
                token=target.token,
                title=notice.inviter_name,
                body="Message request",
                data=data,
                quiet=True,
            )
            if await backends.push.send(message) is PushResult.unregistered:
                async with backends.database.transaction() as session:
                    await accounts_sessions.forget_push_token(
                        session, session_id=target.session_id, token=target.token
                    )
    if backends.web_push.enabled:
        payload = payload_json({**data, "sender": notice.inviter_name, "quiet": True})
        for web_target in notice.web_targets:
            if not await backends.cache.set_if_absent(
                f"{mark}:{web_target.subscription_id}", "1", ttl=PUSH_MARK_TTL
            ):
                continue
            browser = BrowserTarget(web_target.endpoint, web_target.p256dh, web_target.auth)
            await backends.web_push.send(browser, payload, topic=uuid.UUID(chat_id).hex)


IDEMPOTENCY_RECORD_HOURS = 24
"""How long a message post's ``Idempotency-Key`` is remembered: a client retries within
minutes, never after a day."""


async def purge_idempotency_records(backends: Backends) -> None:
    """Periodic: forget idempotency keys older than a day."""
    older_than = utcnow() - timedelta(hours=IDEMPOTENCY_RECORD_HOURS)
    async with backends.database.transaction() as session:
        removed = await idempotency.purge_records(session, older_than=older_than)
    logger.info("purged %d idempotency records", removed)
