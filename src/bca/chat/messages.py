"""Messages: posting (once per ``Idempotency-Key``), editing and deleting.

A post is a handful of statements, whatever the chat's size and history (see
``log.append_message``).
Participants who left keep seeing the chat as it was when they left: an edit or a deletion
keeps, on its own event, what such a participant will still need (``prior``).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.backends.tasks import enqueue_after_commit
from bca.chat import log, message_repository, repository
from bca.chat.errors import (
    IdempotencyKeyReused,
    InvalidField,
)
from bca.chat.models import ChatEvent, IdempotencyRecord
from bca.chat.schemas import (
    EventRead,
    FileRef,
    MessageCreate,
)
from bca.core.db import outbox
from bca.core.errors import Conflict, Forbidden, NotFound
from bca.core.time import isoformat
from bca.files import service as files_service

IN_FLIGHT_SECONDS = 60
"""How long a post's ``Idempotency-Key`` counts as in flight (a retry meanwhile is 409): the
longest a post can take, so that a crashed server does not block a key for long."""


def _request_hash(data: MessageCreate) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


async def post_message(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    data: MessageCreate,
    idempotency_key: str | None,
) -> EventRead:
    """Post a message; a retry with the same ``Idempotency-Key`` returns the first event.

    Statements: the key's claim, the index (chat lock), the event with the poster's read
    marker, the key's result and the participants, the poster's change-log entry, then the
    commit; plus one for an attached file and one for a replied-to message. None grows with
    the chat.
    """
    stored = None
    if data.file_id is not None:
        stored = await files_service.own_upload(session, file_id=data.file_id, user_id=user_id)
        if stored is None:
            raise InvalidField("file_id", "Attach a file you uploaded yourself.")
    record_id = None
    if idempotency_key is not None:
        claimed = await _claim_key(
            session, backends, user_id=user_id, chat_id=chat_id, key=idempotency_key, data=data
        )
        if isinstance(claimed, EventRead):
            return claimed
        record_id = claimed
    if data.reply_to is not None:
        # Checked before the chat's lock: replying to a message deleted meanwhile is harmless.
        original = await message_repository.get_event(session, chat_id=chat_id, index=data.reply_to)
        if original is None or original.type != "message" or original.deleted_at is not None:
            raise InvalidField("reply_to", "Reply to a message of this chat.")

    body = data.body if data.body and data.body.strip() else None
    claim = await log.append_message(
        session,
        chat_id=chat_id,
        user_id=user_id,
        body=body,
        file_id=stored.id if stored else None,
        reply_to=data.reply_to,
        idempotency_record_id=record_id,
    )
    event = ChatEvent(
        chat_id=chat_id,
        index=claim.index,
        type="message",
        profile_id=claim.profile_id,
        created_at=claim.now,
        body=body,
        file_id=stored.id if stored else None,
        target_index=data.reply_to,
    )
    written = EventRead.from_row(event, FileRef.from_row(backends.settings.public_url, stored))
    log.announce(session, backends, written, user_ids=claim.members)
    if backends.push.enabled:
        enqueue_after_commit(
            session, backends.tasks, "chat.send_push", chat_id=str(chat_id), index=claim.index
        )
    return written


async def _claim_key(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    key: str,
    data: MessageCreate,
) -> EventRead | uuid.UUID:
    """The first post's event for a key seen before, else the id of the key's new record.

    A retry while the first post is still running answers 409 (its record is not committed
    yet: a marker in the cache tells); the same key with another request answers 422.
    """
    scope = log.idempotency_scope(chat_id)
    request_hash = _request_hash(data)
    marker = "idempotency:" + hashlib.sha256(f"{user_id}:{scope}:{key}".encode()).hexdigest()
    if not await backends.cache.set_if_absent(marker, "1", ttl=IN_FLIGHT_SECONDS):
        earlier = await _replay(session, backends, user_id=user_id, chat_id=chat_id, key=key)
        if earlier is None:
            raise Conflict("A request with this Idempotency-Key is still running.")
        return _matching(earlier, request_hash)

    async def release() -> None:
        await backends.cache.delete(marker)

    outbox(session).after_commit(release)
    outbox(session).on_rollback(release)
    record_id = await message_repository.claim_idempotency_key(
        session, user_id=user_id, scope=scope, key=key, request_hash=request_hash
    )
    if record_id is not None:
        return record_id
    earlier = await _replay(session, backends, user_id=user_id, chat_id=chat_id, key=key)
    if earlier is None:
        raise Conflict("A request with this Idempotency-Key is still running.")
    return _matching(earlier, request_hash)


def _matching(earlier: tuple[IdempotencyRecord, EventRead], request_hash: str) -> EventRead:
    record, event = earlier
    if record.request_hash is not None and not hmac.compare_digest(
        record.request_hash, request_hash
    ):
        raise IdempotencyKeyReused()
    return event


async def _replay(
    session: AsyncSession, backends: Backends, *, user_id: uuid.UUID, chat_id: uuid.UUID, key: str
) -> tuple[IdempotencyRecord, EventRead] | None:
    record = await message_repository.idempotent_result(
        session, user_id=user_id, scope=log.idempotency_scope(chat_id), key=key
    )
    if record is None or not record.result.isdigit():
        return None
    if await repository.membership(session, chat_id=chat_id, user_id=user_id) is None:
        raise NotFound()
    event = await message_repository.get_event(session, chat_id=chat_id, index=int(record.result))
    if event is None:
        return None
    stored = await message_repository.get_file(session, event.file_id)
    return record, EventRead.from_row(event, FileRef.from_row(backends.settings.public_url, stored))


async def edit_message(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
    body: str,
) -> EventRead:
    claim, original, prior = await _claim_message(
        session,
        chat_id=chat_id,
        user_id=user_id,
        index=index,
        allowed=lambda claim, original: original.profile_id == claim.profile_id,
        refusal="Only the author can edit a message.",
    )
    original.body = body
    original.edited_at = claim.now
    return await _write_about_message(
        session, backends, claim, original, type="message_edited", prior=prior, body=body
    )


async def delete_message(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
) -> None:
    """The author or the chat's owner; the body and file are gone for good, edits included,
    except for participants who left after the message was posted: they keep seeing the chat
    as it was when they left (what they need is kept on the deletion event, never served to
    anyone else)."""
    claim, original, prior = await _claim_message(
        session,
        chat_id=chat_id,
        user_id=user_id,
        index=index,
        allowed=lambda claim, original: (
            claim.profile_id in (original.profile_id, claim.chat.owner_profile_id)
        ),
        refusal="Only the author or the chat's owner can delete a message.",
    )
    edit_bodies = await message_repository.forget_edits(
        session, chat_id=chat_id, index=original.index
    )
    if prior is not None and edit_bodies:
        prior["edits"] = {str(edit_index): text for edit_index, text in edit_bodies.items()}
    original.body = None
    original.file_id = None
    original.deleted_at = claim.now
    await _write_about_message(
        session, backends, claim, original, type="message_deleted", prior=prior
    )


async def _claim_message(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    user_id: uuid.UUID,
    index: int,
    allowed: Callable[[log.Claim, ChatEvent], bool],
    refusal: str,
) -> tuple[log.Claim, ChatEvent, dict[str, Any] | None]:
    """The next index, and the live message at ``index`` if the caller may act on it (403
    with ``refusal`` otherwise), with what the participants who left since need of it."""
    claim = await log.claim(session, chat_id=chat_id, user_id=user_id)
    original = await _live_message(session, chat_id=chat_id, index=index)
    if not allowed(claim, original):
        raise Forbidden(refusal)
    prior = await _prior_for_departed(session, original)
    await log.read_own_event(session, claim, user_id)
    return claim, original, prior


async def _write_about_message(
    session: AsyncSession,
    backends: Backends,
    claim: log.Claim,
    original: ChatEvent,
    *,
    type: str,
    prior: dict[str, Any] | None,
    body: str | None = None,
) -> EventRead:
    """The event of an edit or a deletion, at the claimed index, announced after commit."""
    event = ChatEvent(
        chat_id=claim.chat_id,
        index=claim.index,
        type=type,
        profile_id=claim.profile_id,
        created_at=claim.now,
        body=body,
        target_index=original.index,
        prior=prior,
    )
    session.add(event)
    await session.flush()
    written = EventRead.from_row(event, None)
    log.announce(session, backends, written, user_ids=claim.members)
    return written


async def _prior_for_departed(session: AsyncSession, message: ChatEvent) -> dict[str, Any] | None:
    """The message as it is now, if a participant who left since it was posted will need it."""
    if not await message_repository.departed_since(
        session, chat_id=message.chat_id, index=message.index
    ):
        return None
    return {
        "body": message.body,
        "file_id": str(message.file_id) if message.file_id else None,
        "edited_at": isoformat(message.edited_at) if message.edited_at else None,
    }


async def _live_message(session: AsyncSession, *, chat_id: uuid.UUID, index: int) -> ChatEvent:
    event = await message_repository.get_event(session, chat_id=chat_id, index=index)
    if event is None or event.type != "message" or event.deleted_at is not None:
        raise NotFound()
    return event
