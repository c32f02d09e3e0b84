"""Background tasks of the chat domain."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from bca.accounts import service as accounts_service
from bca.backends import Backends
from bca.backends.push import PushMessage, PushResult
from bca.chat import idempotency
from bca.chat.push_delivery import PushTarget, push_delivery
from bca.core.time import utcnow

logger = logging.getLogger(__name__)

PUSH_BODY_CHARS = 180
PUSH_CONCURRENCY = 10
PUSH_MARK_TTL = 24 * 3600
"""How long a device is remembered as notified of a message, so a retried task skips it."""


def _push_mark(chat_id: str, index: int, session_id: uuid.UUID) -> str:
    return f"chat-push:{chat_id}:{index}:{session_id}"


async def send_push(backends: Backends, *, chat_id: str, index: int) -> None:
    """Notify the devices of a new message's recipients (see ``push_delivery``).

    Enqueued only when push is configured. One read-only query finds the message and the
    devices; the transaction ends before anything is sent, so slow FCM answers never hold a
    database connection. Each device is marked in the cache before its send, which makes a
    retried task (after a database hiccup) skip the devices it already notified. Transient FCM
    trouble is retried by the push sender itself; tokens FCM no longer knows are forgotten.
    """
    async with backends.database.transaction() as session:
        delivery = await push_delivery(session, chat_id=uuid.UUID(chat_id), index=index)
    if delivery is None or not delivery.targets:
        return
    targets = delivery.targets
    sender = delivery.sender_name
    title = (
        sender
        if delivery.direct or not delivery.chat_title
        else f"{sender} · {delivery.chat_title}"
    )
    if not delivery.body:
        body = "Sent a file"
    elif len(delivery.body) > PUSH_BODY_CHARS:
        body = delivery.body[: PUSH_BODY_CHARS - 1] + "…"
    else:
        body = delivery.body
    data = {
        "type": "message",
        "chat_id": chat_id,
        "index": str(index),
        "profile_id": str(delivery.sender_profile_id),
    }

    limit = asyncio.Semaphore(PUSH_CONCURRENCY)

    async def notify(target: PushTarget) -> PushResult | None:
        mark = _push_mark(chat_id, index, target.session_id)
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
                await accounts_service.forget_push_token(
                    session, session_id=target.session_id, token=target.token
                )
        logger.info("forgot %d push tokens that FCM no longer knows", len(gone))


IDEMPOTENCY_RECORD_HOURS = 24
"""How long a message post's ``Idempotency-Key`` is remembered: a client retries within
minutes, never after a day."""


async def purge_idempotency_records(backends: Backends) -> None:
    """Periodic: forget idempotency keys older than a day."""
    older_than = utcnow() - timedelta(hours=IDEMPOTENCY_RECORD_HOURS)
    async with backends.database.transaction() as session:
        removed = await idempotency.purge_records(session, older_than=older_than)
    logger.info("purged %d idempotency records", removed)
