"""Messages: posting (once per ``Idempotency-Key``), editing and deleting.

A post is a handful of statements, whatever the chat's size and history (see
``event_log.write_message``). Every event is written by ``event_log`` and answered as the
database returned it.
Participants who left keep seeing the chat as it was when they left: an edit or a deletion
keeps, on its own event, what such a participant will still need (``prior``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.backends.tasks import enqueue_after_commit
from bca.chat import event_log, event_reads, idempotency, mentions, previews, threads
from bca.chat.errors import InvalidField
from bca.chat.hooks import messages_written
from bca.chat.models import ChatEvent
from bca.chat.schemas import (
    EventRead,
    FileRef,
    MessageCreate,
)
from bca.core.errors import Forbidden, NotFound
from bca.core.time import isoformat
from bca.files import service as files_service


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

    Statements: the key's reservation, the index (chat lock), the event with the poster's read
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
        reserved = await idempotency.reserve(
            session, backends, user_id=user_id, chat_id=chat_id, key=idempotency_key, data=data
        )
        if isinstance(reserved, EventRead):
            return reserved
        record_id = reserved
    if data.reply_to is not None:
        # Checked before the chat's lock: replying to a message deleted meanwhile is harmless.
        original = await event_reads.get_event(session, chat_id=chat_id, index=data.reply_to)
        if original is None or original.type != "message" or original.deleted_at is not None:
            raise InvalidField("reply_to", "Reply to a message of this chat.")

    body = data.body if data.body and data.body.strip() else None
    row, recipients = await event_log.write_message(
        session,
        chat_id=chat_id,
        user_id=user_id,
        body=body,
        file_id=stored.id if stored else None,
        reply_to=data.reply_to,
        idempotency_record_id=record_id,
    )
    written = EventRead.from_values(row, FileRef.from_row(backends.settings.public_url, stored))
    # Threads and mentions cost a statement each only when used (a plain post: none).
    if data.reply_to is not None:
        await threads.count_reply(
            session, chat_id=chat_id, root=data.reply_to, at=written.created_at
        )
    mentioned = mentions.mentioned_in(body)
    if mentioned:
        await mentions.record_mentions(
            session,
            chat_id=chat_id,
            index=written.index,
            sender_profile_id=written.profile_id,
            sender_user_id=user_id,
            profile_ids=mentioned,
            at=written.created_at,
        )
    event_log.announce(session, backends, written, user_ids=recipients)
    messages_written(session, backends, chat_id)
    if backends.push.enabled or backends.web_push.enabled:
        enqueue_after_commit(
            session, backends.tasks, "chat.send_push", chat_id=str(chat_id), index=written.index
        )
    previews.enqueue_preview(session, backends, chat_id=chat_id, index=written.index, body=body)
    return written


async def edit_message(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
    body: str,
) -> EventRead:
    """The author's new text. The message's mentions follow it (a new one is recorded and
    pushed to that participant alone, one taken out is removed: ``mentions.update_mentions``),
    and a message without a preview whose edit brings a new first link gets one fetched, as
    a post does."""
    opened, original, prior = await _open_change(
        session,
        chat_id=chat_id,
        user_id=user_id,
        index=index,
        allowed=lambda opened, original: original.profile_id == opened.profile_id,
        refusal="Only the author can edit a message.",
    )
    link_before = previews.first_link(original.body)
    original.body = body
    original.edited_at = opened.taken.at
    written = await _write_change(
        session, backends, opened, original, type=event_log.MESSAGE_EDITED, prior=prior, body=body
    )
    newly_mentioned = await mentions.update_mentions(
        session,
        chat_id=chat_id,
        index=index,
        sender_profile_id=opened.profile_id,
        sender_user_id=user_id,
        body=body,
        at=opened.taken.at,
    )
    if newly_mentioned and (backends.push.enabled or backends.web_push.enabled):
        enqueue_after_commit(
            session,
            backends.tasks,
            "chat.send_push",
            chat_id=str(chat_id),
            index=index,
            mentioned=[str(profile_id) for profile_id in newly_mentioned],
        )
    if original.preview is None and previews.first_link(body) != link_before:
        previews.enqueue_preview(session, backends, chat_id=chat_id, index=index, body=body)
    return written


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
    opened, original, prior = await _open_change(
        session,
        chat_id=chat_id,
        user_id=user_id,
        index=index,
        allowed=lambda opened, original: (
            opened.profile_id in (original.profile_id, opened.taken.owner_profile_id)
        ),
        refusal="Only the author or the chat's owner can delete a message.",
    )
    edit_bodies = await event_log.forget_edits(session, chat_id=chat_id, index=original.index)
    if prior is not None and edit_bodies:
        prior["edits"] = {str(edit_index): text for edit_index, text in edit_bodies.items()}
    await previews.forget_preview(session, original)
    original.body = None
    original.file_id = None
    original.deleted_at = opened.taken.at
    await _write_change(
        session, backends, opened, original, type=event_log.MESSAGE_DELETED, prior=prior
    )


async def _open_change(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    user_id: uuid.UUID,
    index: int,
    allowed: Callable[[event_log.OpenEvent, ChatEvent], bool],
    refusal: str,
) -> tuple[event_log.OpenEvent, ChatEvent, dict[str, Any] | None]:
    """The next index, and the live message at ``index`` if the caller may change it (403
    with ``refusal`` otherwise), with what the participants who left since need of it."""
    opened = await event_log.open_event(session, chat_id=chat_id, user_id=user_id)
    original = await _live_message(session, chat_id=chat_id, index=index)
    if not allowed(opened, original):
        raise Forbidden(refusal)
    prior = await _prior_for_departed(session, original)
    await event_log.read_up_to(session, chat_id=chat_id, user_id=user_id, index=opened.index)
    event_log.record_own_view(session, chat_id, user_id)
    return opened, original, prior


async def _write_change(
    session: AsyncSession,
    backends: Backends,
    opened: event_log.OpenEvent,
    original: ChatEvent,
    *,
    type: str,
    prior: dict[str, Any] | None,
    body: str | None = None,
) -> EventRead:
    """The event of an edit or a deletion, at the index opened, announced after commit. The
    message itself (the session's row) is updated by the same flush."""
    await session.flush()
    row = await event_log.write_event(
        session,
        opened.taken,
        type=type,
        profile_id=opened.profile_id,
        body=body,
        target_index=original.index,
        prior=prior,
    )
    written = EventRead.from_values(row, None)
    event_log.announce(session, backends, written, user_ids=opened.recipients)
    messages_written(session, backends, original.chat_id)
    return written


async def _prior_for_departed(session: AsyncSession, message: ChatEvent) -> dict[str, Any] | None:
    """The message as it is now, if a participant who left since it was posted will need it."""
    if not await event_reads.departed_since(session, chat_id=message.chat_id, index=message.index):
        return None
    return {
        "body": message.body,
        "file_id": str(message.file_id) if message.file_id else None,
        "edited_at": isoformat(message.edited_at) if message.edited_at else None,
    }


async def _live_message(session: AsyncSession, *, chat_id: uuid.UUID, index: int) -> ChatEvent:
    event = await event_reads.get_event(session, chat_id=chat_id, index=index)
    if event is None or event.type != "message" or event.deleted_at is not None:
        raise NotFound()
    return event
