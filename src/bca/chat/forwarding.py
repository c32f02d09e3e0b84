"""Forwarding: a message I read, posted again in another chat I take part in.

The copy is a new ``message`` of the target chat, written by the post's own path
(``event_log.write_message``: index, read marker, recipients; push after the commit), with its
origin noted (``forwarded``: the original's author and time, not its chat, which the copy's
readers may not know of). An attached file is not copied: the copy points at the same stored
file, which the target chat's participants then see (``files`` asks ``chat`` who may).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.backends.tasks import enqueue_after_commit
from bca.chat import event_log, event_reads, idempotency, repository
from bca.chat.errors import InvalidField
from bca.chat.models import ChatEvent
from bca.chat.reactions import visible_message
from bca.chat.schemas import EventRead, FileRef, ForwardOrigin, MessageCreate
from bca.core.errors import NotFound
from bca.core.personal import Erasure
from bca.core.time import isoformat


async def forward_message(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
    to_chat_id: uuid.UUID,
    idempotency_key: str | None,
) -> EventRead:
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is None:
        raise NotFound()
    original = await visible_message(session, chat_id=chat_id, index=index, me=me)
    stored = await event_reads.get_file(session, original.file_id)
    body = original.body
    if body is None and stored is None:
        raise InvalidField("chat_id", "This message has nothing left to forward.")
    record_id = None
    if idempotency_key is not None:
        request = MessageCreate(body=body, file_id=stored.id if stored else None)
        reserved = await idempotency.reserve(
            session,
            backends,
            user_id=user_id,
            chat_id=to_chat_id,
            key=idempotency_key,
            data=request,
        )
        if isinstance(reserved, EventRead):
            return reserved
        record_id = reserved
    row, recipients = await event_log.write_message(
        session,
        chat_id=to_chat_id,
        user_id=user_id,
        body=body,
        file_id=stored.id if stored else None,
        reply_to=None,
        idempotency_record_id=record_id,
    )
    origin = ForwardOrigin(profile_id=original.profile_id, created_at=original.created_at)
    await session.execute(
        update(ChatEvent)
        .where(ChatEvent.chat_id == to_chat_id, ChatEvent.index == row["index"])
        .values(
            forwarded={
                "profile_id": str(origin.profile_id),
                "created_at": isoformat(origin.created_at),
            }
        )
        .execution_options(synchronize_session=False)
    )
    written = EventRead.from_values(row, FileRef.from_row(backends.settings.public_url, stored))
    written.forwarded = origin
    event_log.announce(session, backends, written, user_ids=recipients)
    if backends.push.enabled or backends.web_push.enabled:
        enqueue_after_commit(
            session, backends.tasks, "chat.send_push", chat_id=str(to_chat_id), index=written.index
        )
    return written


async def forget_origins(erasure: Erasure) -> int:
    """A user's erasure: forwarded copies of their messages name "a deleted profile" as the
    original's author. Reads the forwarded events only (``forwarded`` is set on no other)."""
    theirs = {str(profile_id) for profile_id in erasure.profile_ids}
    if not theirs:
        return 0
    rows = await erasure.session.execute(
        select(ChatEvent.chat_id, ChatEvent.index, ChatEvent.forwarded).where(
            ChatEvent.forwarded.is_not(None)
        )
    )
    changed = 0
    for chat_id, index, origin in rows.all():
        if origin and origin.get("profile_id") in theirs:
            await erasure.session.execute(
                update(ChatEvent)
                .where(ChatEvent.chat_id == chat_id, ChatEvent.index == index)
                .values(forwarded={**origin, "profile_id": str(erasure.erased_profile_id)})
                .execution_options(synchronize_session=False)
            )
            changed += 1
    return changed
