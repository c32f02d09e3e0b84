"""Scheduled messages: posted with ``send_at``, sent by the worker at that time, once.

``POST /v1/chats/{id}/messages`` with ``send_at`` stores the message (202) instead of posting
it; its author lists, edits and cancels it until it is sent. The periodic task
``chat.send_scheduled`` (every 2 s: the worker's beat, or the embedded server's schedule)
sends what is due, each message in a transaction of its own:

1. the claim, ``UPDATE ... SET status = 'sent' WHERE id = :id AND status = 'scheduled'``: it
   locks the row, so a concurrent sweep (another worker), edit or cancellation waits, and
   whoever comes second finds it no longer scheduled;
2. the post, through ``messages.post_message``, the path of every post (the index under the
   chat's lock, the author's read marker, push, a link preview), with the author's
   membership checked first: an author who left (or whose profile is gone) gets the message
   cancelled with ``author_left``;
3. the index it got, on the row; then the commit.

The claim and the post commit together or not at all, so a message is sent exactly once: a
worker killed mid-send leaves the message scheduled (its transaction rolled back) for the next
sweep. A post the rules refuse (the file or the replied-to message gone) cancels the message
with the refusal's code instead of retrying it forever.

The statements live here, beside the feature, to keep it in one module.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.chat import event_reads, idempotency, messages, repository
from bca.chat.errors import IdempotencyKeyReused, InvalidField
from bca.chat.models import IdempotencyRecord, ScheduledMessage
from bca.chat.schemas import (
    FileRef,
    MessageCreate,
    ScheduledMessageRead,
    ScheduledMessageUpdate,
)
from bca.core.errors import AppError, Conflict, Forbidden, NotFound
from bca.core.time import utcnow
from bca.files import service as files_service
from bca.files.models import StoredFile

logger = logging.getLogger(__name__)

MAX_AHEAD = timedelta(days=365)
MAX_PENDING_PER_USER = 100
SWEEP_SECONDS = 2.0
SWEEP_BATCH = 100
SCHEDULED, SENT, CANCELLED = "scheduled", "sent", "cancelled"
TEST_DELAY_VARIABLE = "BCA_TEST_SCHEDULED_SEND_DELAY"
"""Test-only: seconds to pause each send after the post, before the commit, so that a test can
kill the worker mid-batch. Never set it in a deployment."""


class ScheduledMessageNotFound(NotFound):
    detail = "The scheduled message does not exist or is not yours."


class NotScheduled(Conflict):
    detail = "The message was sent or cancelled already."


class TooManyScheduled(Conflict):
    code = "limit_reached"
    detail = f"At most {MAX_PENDING_PER_USER} messages can wait to be sent."


def _check_send_at(send_at: datetime) -> datetime:
    if send_at.tzinfo is None:
        raise InvalidField("send_at", "Give the time with its offset (2026-12-24T09:00:00Z).")
    now = utcnow()
    if send_at <= now:
        raise InvalidField("send_at", "The time must be in the future.")
    if send_at > now + MAX_AHEAD:
        raise InvalidField("send_at", "A message can be scheduled at most a year ahead.")
    return send_at


def _read(
    row: ScheduledMessage, stored: StoredFile | None, public_url: str
) -> ScheduledMessageRead:
    return ScheduledMessageRead(
        id=row.id,
        chat_id=row.chat_id,
        profile_id=row.profile_id,
        body=row.body,
        file=FileRef.from_row(public_url, stored),
        reply_to=row.reply_to,
        send_at=row.send_at,
        status=row.status,  # pydantic checks it is a ScheduledStatus
        cancel_reason=row.cancel_reason,
        sent_index=row.sent_index,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# --- the author's side -----------------------------------------------------------------------


async def schedule_message(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    data: MessageCreate,
    idempotency_key: str | None = None,
) -> ScheduledMessageRead:
    """Keep a message to be posted at ``data.send_at`` (checked like a post, now). A retry
    with the same ``Idempotency-Key`` returns the first result (the key is reserved by one
    ``INSERT ... ON CONFLICT DO NOTHING``; a concurrent retry waits on it, then replays)."""
    assert data.send_at is not None
    send_at = _check_send_at(data.send_at)
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is None:
        raise NotFound()
    if me.request is not None:
        raise Forbidden("Accept the message request before you write in this chat.")
    record_id = None
    if idempotency_key is not None:
        reserved = await _reserve(
            session, user_id=user_id, chat_id=chat_id, key=idempotency_key, data=data
        )
        if isinstance(reserved, ScheduledMessage):
            stored = await event_reads.get_file(session, reserved.file_id)
            return _read(reserved, stored, backends.settings.public_url)
        record_id = reserved
    stored = None
    if data.file_id is not None:
        stored = await files_service.own_upload(session, file_id=data.file_id, user_id=user_id)
        if stored is None:
            raise InvalidField("file_id", "Attach a file you uploaded yourself.")
    if data.reply_to is not None:
        original = await event_reads.get_event(session, chat_id=chat_id, index=data.reply_to)
        if original is None or original.type != "message" or original.deleted_at is not None:
            raise InvalidField("reply_to", "Reply to a message of this chat.")
    pending = await session.scalar(
        select(func.count())
        .select_from(ScheduledMessage)
        .where(ScheduledMessage.user_id == user_id, ScheduledMessage.status == SCHEDULED)
    )
    if (pending or 0) >= MAX_PENDING_PER_USER:
        raise TooManyScheduled()
    now = utcnow()
    row = ScheduledMessage(
        chat_id=chat_id,
        user_id=user_id,
        profile_id=me.profile_id,
        body=data.body if data.body and data.body.strip() else None,
        file_id=stored.id if stored else None,
        reply_to=data.reply_to,
        send_at=send_at,
        status=SCHEDULED,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    if record_id is not None:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(result=str(row.id))
            .execution_options(synchronize_session=False)
        )
    return _read(row, stored, backends.settings.public_url)


async def _reserve(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID, key: str, data: MessageCreate
) -> ScheduledMessage | uuid.UUID:
    """The scheduled message a key made before, else the id of the key's new reservation."""
    scope = f"scheduled:{chat_id}"
    request_hash = idempotency.request_hash_of(data)
    inserted = await idempotency.insert_record(
        session, user_id=user_id, scope=scope, key=key, request_hash=request_hash
    )
    if inserted is not None:
        return inserted
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
        )
    )
    if record is None or not record.result:
        raise Conflict("A request with this Idempotency-Key is still running.")
    if record.request_hash is not None and not hmac.compare_digest(
        record.request_hash, request_hash
    ):
        raise IdempotencyKeyReused()
    first = await session.get(ScheduledMessage, uuid.UUID(record.result))
    if first is None:
        raise Conflict("A request with this Idempotency-Key is still running.")
    return first


def _mine() -> Select[ScheduledMessage, StoredFile]:
    return select(ScheduledMessage, StoredFile).outerjoin(
        StoredFile,
        and_(StoredFile.id == ScheduledMessage.file_id, StoredFile.deleted_at.is_(None)),
    )


async def list_scheduled(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID | None,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ScheduledMessageRead]:
    """My scheduled messages (in one chat, of one status), soonest first."""
    query = _mine().where(ScheduledMessage.user_id == user_id)
    if chat_id is not None:
        query = query.where(ScheduledMessage.chat_id == chat_id)
    if status is not None:
        query = query.where(ScheduledMessage.status == status)
    if after is not None:
        query = query.where(
            or_(
                ScheduledMessage.send_at > after[0],
                and_(ScheduledMessage.send_at == after[0], ScheduledMessage.id > after[1]),
            )
        )
    rows = await session.execute(
        query.order_by(ScheduledMessage.send_at, ScheduledMessage.id).limit(limit)
    )
    url = backends.settings.public_url
    return [_read(row[0], row[1], url) for row in rows.all()]


async def _my_row(
    session: AsyncSession, *, user_id: uuid.UUID, scheduled_id: uuid.UUID, lock: bool
) -> tuple[ScheduledMessage, StoredFile | None]:
    query = _mine().where(ScheduledMessage.id == scheduled_id, ScheduledMessage.user_id == user_id)
    if lock:
        query = query.with_for_update(of=ScheduledMessage)
    found = (await session.execute(query)).first()
    if found is None:
        raise ScheduledMessageNotFound()
    return found[0], found[1]


async def get_scheduled(
    session: AsyncSession, backends: Backends, *, user_id: uuid.UUID, scheduled_id: uuid.UUID
) -> ScheduledMessageRead:
    row, stored = await _my_row(session, user_id=user_id, scheduled_id=scheduled_id, lock=False)
    return _read(row, stored, backends.settings.public_url)


async def update_scheduled(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    scheduled_id: uuid.UUID,
    data: ScheduledMessageUpdate,
) -> ScheduledMessageRead:
    """A new text or time, while it is still scheduled (409 once sent or cancelled)."""
    row, stored = await _my_row(session, user_id=user_id, scheduled_id=scheduled_id, lock=True)
    if row.status != SCHEDULED:
        raise NotScheduled()
    changes = data.model_dump(exclude_unset=True)
    if "body" in changes:
        if data.body is None and row.file_id is None:
            raise InvalidField("body", "A message needs a body or a file.")
        row.body = data.body
    if "send_at" in changes:
        if data.send_at is None:
            raise InvalidField("send_at", "Give the time to send it at.")
        row.send_at = _check_send_at(data.send_at)
    row.updated_at = utcnow()
    await session.flush()
    return _read(row, stored, backends.settings.public_url)


async def cancel_scheduled(
    session: AsyncSession, *, user_id: uuid.UUID, scheduled_id: uuid.UUID
) -> None:
    """Cancel it while it is still scheduled (409 once sent)."""
    row, _ = await _my_row(session, user_id=user_id, scheduled_id=scheduled_id, lock=True)
    if row.status == CANCELLED:
        return
    if row.status != SCHEDULED:
        raise NotScheduled()
    row.status = CANCELLED
    row.cancel_reason = "cancelled"
    row.updated_at = utcnow()


# --- the worker's side -----------------------------------------------------------------------


async def send_scheduled(backends: Backends) -> None:
    """Periodic: send every message that is due, each in its own transaction (see above)."""
    now = utcnow()
    async with backends.database.reading() as session:
        due = list(
            await session.scalars(
                select(ScheduledMessage.id)
                .where(ScheduledMessage.status == SCHEDULED, ScheduledMessage.send_at <= now)
                .order_by(ScheduledMessage.send_at)
                .limit(SWEEP_BATCH)
            )
        )
    for scheduled_id in due:
        try:
            async with backends.database.transaction() as session:
                await _send_one(session, backends, scheduled_id=scheduled_id, now=now)
        except AppError as refused:
            async with backends.database.transaction() as session:
                await _cancel(session, scheduled_id=scheduled_id, reason=refused.code)
            logger.info("scheduled message cancelled: the post was refused (%s)", refused.code)


_CLAIM = (
    update(ScheduledMessage)
    .where(ScheduledMessage.status == SCHEDULED)
    .values(status=SENT)
    .returning(
        ScheduledMessage.chat_id,
        ScheduledMessage.user_id,
        ScheduledMessage.profile_id,
        ScheduledMessage.body,
        ScheduledMessage.file_id,
        ScheduledMessage.reply_to,
    )
    .execution_options(synchronize_session=False)
)


async def _send_one(
    session: AsyncSession, backends: Backends, *, scheduled_id: uuid.UUID, now: datetime
) -> None:
    claim = _CLAIM.where(ScheduledMessage.id == scheduled_id, ScheduledMessage.send_at <= now)
    claimed = (await session.execute(claim.values(updated_at=utcnow()))).first()
    if claimed is None:
        return  # sent, cancelled or moved later meanwhile
    chat_id, user_id, profile_id, body, file_id, reply_to = claimed
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is None or me.profile_id != profile_id:
        await _cancel(session, scheduled_id=scheduled_id, reason="author_left", status=SENT)
        logger.info("scheduled message cancelled: its author left the chat")
        return
    logger.info("sending a scheduled message", extra={"chat_id": str(chat_id)})
    event = await messages.post_message(
        session,
        backends,
        user_id=user_id,
        chat_id=chat_id,
        data=MessageCreate.model_construct(body=body, file_id=file_id, reply_to=reply_to),
        idempotency_key=None,
    )
    await session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.id == scheduled_id)
        .values(sent_index=event.index, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    delay = float(os.environ.get(TEST_DELAY_VARIABLE) or 0)
    if delay:
        await asyncio.sleep(delay)
    logger.info("scheduled message sent", extra={"chat_id": str(chat_id), "index": event.index})


async def _cancel(
    session: AsyncSession, *, scheduled_id: uuid.UUID, reason: str, status: str = SCHEDULED
) -> None:
    await session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.id == scheduled_id, ScheduledMessage.status == status)
        .values(status=CANCELLED, cancel_reason=reason, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
