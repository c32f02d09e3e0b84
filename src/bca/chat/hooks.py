"""The occasions chat offers the domains above it (plugged in from their manifests).

``MESSAGES_WRITTEN``: a message was posted, edited or deleted in a chat. Run inside the
writing transaction, synchronously and without SQL (the post path's statements are pinned):
a plug only schedules its work after the commit (search indexes the chat's new events).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.core.domain import Slot

MessagesWritten = Callable[[AsyncSession, Backends, uuid.UUID], None]

MESSAGES_WRITTEN: Slot[MessagesWritten] = Slot("chat: messages written")


def messages_written(session: AsyncSession, backends: Backends, chat_id: uuid.UUID) -> None:
    """Tell the plugs that ``chat_id``'s messages changed (called by ``chat.messages``)."""
    for plug in MESSAGES_WRITTEN:
        plug(session, backends, chat_id)
