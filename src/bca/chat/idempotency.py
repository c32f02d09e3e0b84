"""A post's ``Idempotency-Key``: reserved once per user and chat, its first event replayed.

A key is reserved by one statement (``INSERT ... ON CONFLICT DO NOTHING``); the post writes the
index of its event into the reservation in the same statement as the event
(``event_log.write_message``). A retry with the same key and request replays that event; the
same key with another request is 422; a retry while the first post still runs is 409 (its
reservation is not committed yet: a marker in the cache tells).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.chat import event_reads, repository
from bca.chat.errors import IdempotencyKeyReused
from bca.chat.models import IdempotencyRecord
from bca.chat.schemas import EventRead, FileRef, MessageCreate
from bca.core.db import insert_ignoring_conflicts, outbox
from bca.core.errors import Conflict, NotFound
from bca.core.ids import new_id
from bca.core.time import utcnow

IN_FLIGHT_SECONDS = 60
"""How long a post's ``Idempotency-Key`` counts as in flight (a retry meanwhile is 409): the
longest a post can take, so that a crashed server does not block a key for long."""


def scope_of(chat_id: uuid.UUID) -> str:
    return f"chat:{chat_id}"


def request_hash_of(data: MessageCreate) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


async def reserve(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    key: str,
    data: MessageCreate,
) -> EventRead | uuid.UUID:
    """The first post's event for a key seen before, else the id of the key's new reservation
    (the post then writes its result into it)."""
    scope = scope_of(chat_id)
    request_hash = request_hash_of(data)
    marker = "idempotency:" + hashlib.sha256(f"{user_id}:{scope}:{key}".encode()).hexdigest()
    if not await backends.cache.set_if_absent(marker, "1", ttl=IN_FLIGHT_SECONDS):
        return await _replay(
            session, backends, user_id=user_id, chat_id=chat_id, key=key, request_hash=request_hash
        )

    async def release() -> None:
        await backends.cache.delete(marker)

    outbox(session).after_commit(release)
    outbox(session).on_rollback(release)
    record_id = await insert_record(
        session, user_id=user_id, scope=scope, key=key, request_hash=request_hash
    )
    if record_id is not None:
        return record_id
    return await _replay(
        session, backends, user_id=user_id, chat_id=chat_id, key=key, request_hash=request_hash
    )


async def _replay(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    key: str,
    request_hash: str,
) -> EventRead:
    """The event the key's first post wrote (409 while that post is still running; 422 for
    the same key with another request)."""
    record = await _find_record(session, user_id=user_id, scope=scope_of(chat_id), key=key)
    if record is None or not record.result.isdigit():
        raise Conflict("A request with this Idempotency-Key is still running.")
    if await repository.membership(session, chat_id=chat_id, user_id=user_id) is None:
        raise NotFound()
    event = await event_reads.get_event(session, chat_id=chat_id, index=int(record.result))
    if event is None:
        raise Conflict("A request with this Idempotency-Key is still running.")
    if record.request_hash is not None and not hmac.compare_digest(
        record.request_hash, request_hash
    ):
        raise IdempotencyKeyReused()
    stored = await event_reads.get_file(session, event.file_id)
    return EventRead.from_row(event, FileRef.from_row(backends.settings.public_url, stored))


# --- the statements --------------------------------------------------------------------------


async def _find_record(
    session: AsyncSession, *, user_id: uuid.UUID, scope: str, key: str
) -> IdempotencyRecord | None:
    record: IdempotencyRecord | None = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
        )
    )
    return record


async def insert_record(
    session: AsyncSession, *, user_id: uuid.UUID, scope: str, key: str, request_hash: str
) -> uuid.UUID | None:
    """Record a new key (None when it is known already): one statement, no savepoint."""
    inserted: uuid.UUID | None = await session.scalar(
        insert_ignoring_conflicts(session, IdempotencyRecord)
        .values(
            id=new_id(),
            user_id=user_id,
            scope=scope,
            key=key,
            request_hash=request_hash,
            result="",
            created_at=utcnow(),
        )
        .returning(IdempotencyRecord.id)
    )
    return inserted


async def purge_records(session: AsyncSession, *, older_than: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.created_at < older_than)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
