"""Every SQL statement of a chat's messages: the events, the idempotency keys of posts, and
what a push notification needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bca.accounts.models import AuthSession, User
from bca.chat.models import Chat, ChatEvent, IdempotencyRecord, Participant
from bca.core.db import execute_core, insert_ignoring_conflicts
from bca.core.ids import new_id
from bca.core.time import utcnow
from bca.files.models import StoredFile
from bca.profiles.models import Profile, Relation
from bca.profiles.visibility import alive

MESSAGE = "message"
MESSAGE_EDITED = "message_edited"
MESSAGE_DELETED = "message_deleted"


@dataclass(frozen=True)
class PushTarget:
    session_id: uuid.UUID
    token: str


# --- events ----------------------------------------------------------------------------------


_INSERT_EVENT = insert(ChatEvent)


async def insert_event(session: AsyncSession, event: ChatEvent) -> None:
    """Insert a new event without adding it to the session: one statement, none of the unit
    of work's bookkeeping (the writer already holds everything the event says)."""
    await execute_core(
        session,
        _INSERT_EVENT,
        {
            "chat_id": event.chat_id,
            "index": event.index,
            "type": event.type,
            "profile_id": event.profile_id,
            "created_at": event.created_at,
            "body": event.body,
            "file_id": event.file_id,
            "target_index": event.target_index,
        },
    )


def _events_after() -> Select[ChatEvent, StoredFile]:
    return (
        select(ChatEvent, StoredFile)
        .outerjoin(
            StoredFile, and_(StoredFile.id == ChatEvent.file_id, StoredFile.deleted_at.is_(None))
        )
        .where(ChatEvent.chat_id == bindparam("chat"), ChatEvent.index > bindparam("after"))
        .order_by(ChatEvent.index)
        .limit(bindparam("limit"))
    )


_EVENTS = _events_after()
_EVENTS_THROUGH = _events_after().where(ChatEvent.index <= bindparam("through"))


async def list_events(
    session: AsyncSession, *, chat_id: uuid.UUID, after: int, limit: int, through: int | None
) -> list[tuple[ChatEvent, StoredFile | None]]:
    """One range of the ``(chat_id, index)`` primary key, whatever the chat's length."""
    parameters: dict[str, object] = {"chat": chat_id, "after": after, "limit": limit}
    query = _EVENTS
    if through is not None:
        query, parameters["through"] = _EVENTS_THROUGH, through
    rows = (await session.execute(query, parameters)).all()
    return [(row[0], row[1]) for row in rows]


async def get_event(session: AsyncSession, *, chat_id: uuid.UUID, index: int) -> ChatEvent | None:
    return await session.get(ChatEvent, (chat_id, index))


async def get_file(session: AsyncSession, file_id: uuid.UUID | None) -> StoredFile | None:
    if file_id is None:
        return None
    stored: StoredFile | None = await session.scalar(
        select(StoredFile).where(StoredFile.id == file_id, StoredFile.deleted_at.is_(None))
    )
    return stored


async def forget_edits(session: AsyncSession, *, chat_id: uuid.UUID, index: int) -> dict[int, str]:
    """Clear the bodies that edit events of a deleted message carried; returns them by the
    edit's index (found through the target index, not by scanning the chat)."""
    edits = (
        ChatEvent.chat_id == chat_id,
        ChatEvent.target_index == index,
        ChatEvent.type == MESSAGE_EDITED,
        ChatEvent.body.is_not(None),
    )
    rows = await session.execute(select(ChatEvent.index, ChatEvent.body).where(*edits))
    bodies = {edit_index: body for edit_index, body in rows.all() if body is not None}
    if bodies:
        await session.execute(
            update(ChatEvent)
            .where(*edits)
            .values(body=None)
            .execution_options(synchronize_session=False)
        )
    return bodies


async def departed_since(session: AsyncSession, *, chat_id: uuid.UUID, index: int) -> bool:
    """Whether someone left the chat (and has not come back) after event ``index``."""
    found = await session.scalar(
        select(Participant.profile_id)
        .where(
            Participant.chat_id == chat_id,
            Participant.left_at.is_not(None),
            Participant.left_index > index,
        )
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class LaterChange:
    index: int
    type: str
    prior: dict[str, Any] | None


async def changes_after(
    session: AsyncSession, *, chat_id: uuid.UUID, targets: Sequence[int], after: int
) -> dict[int, list[LaterChange]]:
    """Edits and deletions of these messages after event ``after``, oldest first."""
    if not targets:
        return {}
    rows = await session.execute(
        select(ChatEvent.target_index, ChatEvent.index, ChatEvent.type, ChatEvent.prior)
        .where(
            ChatEvent.chat_id == chat_id,
            ChatEvent.target_index.in_(targets),
            ChatEvent.type.in_((MESSAGE_EDITED, MESSAGE_DELETED)),
            ChatEvent.index > after,
        )
        .order_by(ChatEvent.index)
    )
    found: dict[int, list[LaterChange]] = {}
    for target, index, kind, prior in rows.all():
        found.setdefault(target, []).append(LaterChange(index, kind, prior))
    return found


async def files_by_id(
    session: AsyncSession, file_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StoredFile]:
    if not file_ids:
        return {}
    rows = await session.scalars(
        select(StoredFile).where(StoredFile.id.in_(file_ids), StoredFile.deleted_at.is_(None))
    )
    return {stored.id: stored for stored in rows.all()}


# --- idempotency -----------------------------------------------------------------------------


async def idempotent_result(
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


async def claim_idempotency_key(
    session: AsyncSession, *, user_id: uuid.UUID, scope: str, key: str, request_hash: str
) -> uuid.UUID | None:
    """Record a new key (None when it is known already): one statement, no savepoint."""
    record_id = new_id()
    claimed: uuid.UUID | None = await session.scalar(
        insert_ignoring_conflicts(session, IdempotencyRecord)
        .values(
            id=record_id,
            user_id=user_id,
            scope=scope,
            key=key,
            request_hash=request_hash,
            result="",
            created_at=utcnow(),
        )
        .returning(IdempotencyRecord.id)
    )
    return claimed


async def store_idempotent_result(session: AsyncSession, record_id: uuid.UUID, result: str) -> None:
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(result=result)
        .execution_options(synchronize_session=False)
    )


async def purge_idempotency_records(session: AsyncSession, *, older_than: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.created_at < older_than)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- push ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushDelivery:
    """A message to notify of, and the devices to notify."""

    body: str | None
    sender_profile_id: uuid.UUID
    sender_name: str
    chat_title: str | None
    direct: bool
    targets: list[PushTarget]


async def push_delivery(
    session: AsyncSession, *, chat_id: uuid.UUID, index: int
) -> PushDelivery | None:
    """In one statement: a message that still exists from a live sender, and every live
    session with a push token of every active participant except the sender, those who muted
    the chat and those who block the sender. None when there is nobody to notify."""
    sender = aliased(Profile)
    blocks_sender = exists().where(
        Relation.profile_id == Participant.profile_id,
        Relation.target_id == ChatEvent.profile_id,
        Relation.status == "block",
    )
    rows = (
        await session.execute(
            select(
                ChatEvent.body,
                ChatEvent.profile_id,
                sender.name,
                Chat.title,
                Chat.direct,
                AuthSession.id,
                AuthSession.push_token,
            )
            .join(Chat, Chat.id == ChatEvent.chat_id)
            .join(sender, sender.id == ChatEvent.profile_id)
            .join(Participant, Participant.chat_id == ChatEvent.chat_id)
            .join(AuthSession, AuthSession.user_id == Participant.user_id)
            .join(User, User.id == Participant.user_id)
            .where(
                ChatEvent.chat_id == chat_id,
                ChatEvent.index == index,
                ChatEvent.type == MESSAGE,
                ChatEvent.deleted_at.is_(None),
                alive(sender),
                Participant.left_at.is_(None),
                Participant.muted.is_(False),
                Participant.profile_id != ChatEvent.profile_id,
                Participant.user_id != sender.user_id,
                ~blocks_sender,
                AuthSession.push_token.is_not(None),
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > utcnow(),
                User.deactivated_at.is_(None),
                User.locked.is_(False),
            )
            .order_by(AuthSession.id)
        )
    ).all()
    if not rows:
        return None
    first = rows[0]
    return PushDelivery(
        body=first[0],
        sender_profile_id=first[1],
        sender_name=first[2],
        chat_title=first[3],
        direct=first[4],
        targets=[PushTarget(row[5], row[6]) for row in rows if row[6]],
    )
