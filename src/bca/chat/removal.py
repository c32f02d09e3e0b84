"""A message removed for everyone by a moderator (a report upheld in the admin console).

Like the author's deletion (``messages.delete_message``): the body, the file and the edits'
bodies are gone for good, one ``message_deleted`` event tells every present participant, and
those who left since keep what they saw (``prior``). The event names the message's author as
its profile (the chat has no moderator among its participants); who removed it and why is in
the admin audit. Kept apart from ``messages`` so that moderation does not widen the
participants' write path.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.chat import event_log, event_reads
from bca.chat.repository import PRESENT_PARTICIPANTS
from bca.chat.schemas import EventRead
from bca.core.db import execute_core
from bca.core.errors import Conflict, NotFound
from bca.core.time import isoformat


async def remove_message_for_everyone(
    session: AsyncSession, backends: Backends, *, chat_id: uuid.UUID, index: int
) -> bool:
    """Remove the message at ``index``; False (nothing written) when it is gone already."""
    original = await event_reads.get_event(session, chat_id=chat_id, index=index)
    if original is None or original.type != "message":
        raise NotFound()
    if original.deleted_at is not None:
        return False  # before taking an index: the chat's indexes stay gapless
    taken = await event_log.take_index(session, chat_id)
    await session.refresh(original)  # as it is under the chat's lock
    if original.deleted_at is not None:
        raise Conflict("The message was deleted meanwhile.")  # rolls the index back
    prior: dict[str, Any] | None = None
    if await event_reads.departed_since(session, chat_id=chat_id, index=index):
        prior = {
            "body": original.body,
            "file_id": str(original.file_id) if original.file_id else None,
            "edited_at": isoformat(original.edited_at) if original.edited_at else None,
        }
    edit_bodies = await event_log.forget_edits(session, chat_id=chat_id, index=index)
    if prior is not None and edit_bodies:
        prior["edits"] = {str(edit_index): text for edit_index, text in edit_bodies.items()}
    original.body = None
    original.file_id = None
    original.deleted_at = taken.at
    await session.flush()
    present = (await execute_core(session, PRESENT_PARTICIPANTS, {"for_chat": chat_id})).all()
    row = await event_log.write_event(
        session,
        taken,
        type=event_log.MESSAGE_DELETED,
        profile_id=original.profile_id,
        target_index=index,
        prior=prior,
    )
    recipients = event_log.recipients_of(present)
    event_log.announce(session, backends, EventRead.from_values(row, None), user_ids=recipients)
    return True
