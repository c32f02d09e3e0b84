"""Background tasks of the chat domain."""

from __future__ import annotations

import asyncio
import logging
import uuid

from bca.backends import Backends
from bca.backends.push import PushMessage, PushResult
from bca.backends.tasks import task
from bca.chat import repository
from bca.chat.repository import PushTarget

logger = logging.getLogger(__name__)

PUSH_BODY_CHARS = 180
PUSH_CONCURRENCY = 10
PUSH_MARK_TTL = 24 * 3600
"""How long a device is remembered as notified of a message, so a retried task skips it."""


def _push_mark(chat_id: str, index: int, session_id: uuid.UUID) -> str:
    return f"chat-push:{chat_id}:{index}:{session_id}"


@task("chat.send_push")
async def send_push(backends: Backends, *, chat_id: str, index: int) -> None:
    """Notify the devices of a new message's recipients (see ``repository.push_targets``).

    The transaction only reads: it ends before anything is sent, so slow FCM answers never hold
    a database lock. Each device is marked in the cache before its send, which makes a retried
    task (after a database hiccup) skip the devices it already notified. Transient FCM trouble
    is retried by the push sender itself; tokens FCM no longer knows are forgotten.
    """
    chat_uuid = uuid.UUID(chat_id)
    async with backends.database.transaction() as session:
        found = await repository.pushable_message(session, chat_id=chat_uuid, index=index)
        if found is None:
            return
        event, chat, sender = found
        targets = await repository.push_targets(
            session, chat_id=chat_uuid, sender_profile_id=event.profile_id
        )
    if not targets:
        return
    title = sender.name if chat.direct or not chat.title else f"{sender.name} · {chat.title}"
    if not event.body:
        body = "Sent a file"
    elif len(event.body) > PUSH_BODY_CHARS:
        body = event.body[: PUSH_BODY_CHARS - 1] + "…"
    else:
        body = event.body
    data = {
        "type": "message",
        "chat_id": chat_id,
        "index": str(index),
        "profile_id": str(event.profile_id),
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
                await repository.forget_push_token(
                    session, session_id=target.session_id, token=target.token
                )
        logger.info("forgot %d push tokens that FCM no longer knows", len(gone))
