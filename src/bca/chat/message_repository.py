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
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bca.accounts.models import AuthSession, User
from bca.chat.models import Chat, ChatEvent, IdempotencyRecord, Participant, PastMembership
from bca.chat.repository import PRESENT_PARTICIPANTS, Present
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


# A post's statements, built once. The writer holds the chat's lock already (it took the
# index); what follows must not grow with the chat, and as few round trips as possible stay
# inside that window: each one holds up every other writer of the chat.
_COLUMNS = ChatEvent.__table__.c
_POSTER_MARKER = (
    # The poster takes part (a live participant whose profile is not deleted) and has read the
    # chat up to their own message; the new index is above every marker, so it only moves on.
    update(Participant)
    .where(
        Participant.chat_id == bindparam("for_chat", type_=_COLUMNS.chat_id.type),
        Participant.user_id == bindparam("for_user", type_=Participant.__table__.c.user_id.type),
        Participant.left_at.is_(None),
        exists().where(Profile.id == Participant.profile_id, Profile.deleted_at.is_(None)),
    )
    .values(last_read_index=bindparam("at_index", type_=_COLUMNS.index.type))
    .returning(Participant.profile_id)
)
_MESSAGE_VALUES = {
    "chat_id": bindparam("for_chat", type_=_COLUMNS.chat_id.type),
    "index": bindparam("at_index", type_=_COLUMNS.index.type),
    "type": literal(MESSAGE, _COLUMNS.type.type),
    "created_at": bindparam("at_time", type_=_COLUMNS.created_at.type),
    "body": bindparam("with_body", type_=_COLUMNS.body.type),
    "file_id": bindparam("with_file", type_=_COLUMNS.file_id.type),
    "target_index": bindparam("replying_to", type_=_COLUMNS.target_index.type),
}
_STORE_RESULT = (
    update(IdempotencyRecord)
    .where(IdempotencyRecord.id == bindparam("for_record", type_=IdempotencyRecord.id.type))
    .values(result=bindparam("with_result", type_=IdempotencyRecord.result.type))
)


def _write_message_at_once() -> Select[Any]:
    """PostgreSQL: the marker, the event, the key's result and the participants in one
    statement (data-modifying CTEs), so the chat's lock is held for one round trip less than
    four. Its snapshot is taken after the lock was granted, so it sees every committed join
    and departure; the event is inserted only if the marker moved (the poster takes part)."""
    marker = _POSTER_MARKER.cte("marker")
    poster = select(marker.c.profile_id).limit(1)
    event = (
        insert(ChatEvent)
        .from_select(
            [*_MESSAGE_VALUES, "profile_id"],
            select(*_MESSAGE_VALUES.values(), poster.scalar_subquery()).where(exists(poster)),
        )
        .cte("event")
    )
    result = _STORE_RESULT.where(exists(poster)).cte("result")
    return PRESENT_PARTICIPANTS.add_columns(poster.scalar_subquery()).add_cte(event, result)


_WRITE_MESSAGE = _write_message_at_once()
_INSERT_MESSAGE = insert(ChatEvent).values(
    **_MESSAGE_VALUES, profile_id=bindparam("poster", type_=_COLUMNS.profile_id.type)
)


@dataclass(frozen=True)
class WrittenMessage:
    poster_profile_id: uuid.UUID
    present: list[Present]


async def write_message(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    user_id: uuid.UUID,
    index: int,
    created_at: datetime,
    body: str | None,
    file_id: uuid.UUID | None,
    reply_to: int | None,
    idempotency_record_id: uuid.UUID | None,
) -> WrittenMessage | None:
    """Write a message at the index the caller claimed; None (nothing written) when the user
    does not take part. One statement on PostgreSQL; on SQLite, whose writers are serialised
    by the database anyway, the same steps one by one."""
    parameters: dict[str, Any] = {
        "for_chat": chat_id,
        "for_user": user_id,
        "at_index": index,
        "at_time": created_at,
        "with_body": body,
        "with_file": file_id,
        "replying_to": reply_to,
        "for_record": idempotency_record_id,
        "with_result": str(index),
    }
    if session.get_bind().dialect.name == "postgresql":
        rows = (await execute_core(session, _WRITE_MESSAGE, parameters)).all()
        poster = rows[0][3] if rows else None
    else:
        poster = (await execute_core(session, _POSTER_MARKER, parameters)).scalar()
        if poster is not None:
            await execute_core(session, _INSERT_MESSAGE, parameters | {"poster": poster})
            if idempotency_record_id is not None:
                await execute_core(session, _STORE_RESULT, parameters)
            rows = (await execute_core(session, PRESENT_PARTICIPANTS, parameters)).all()
    if poster is None:
        return None
    return WrittenMessage(poster, [Present(row[0], row[1], bool(row[2])) for row in rows])


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
    """Whether a membership that included event ``index`` ended after it: someone who left
    (and has not come back), or came back after an earlier membership."""
    departed = await session.scalar(
        select(Participant.profile_id)
        .where(
            Participant.chat_id == chat_id,
            Participant.left_at.is_not(None),
            Participant.left_index > index,
            Participant.joined_index <= index,
        )
        .limit(1)
    )
    if departed is not None:
        return True
    earlier = await session.scalar(
        select(PastMembership.user_id)
        .where(
            PastMembership.chat_id == chat_id,
            PastMembership.left_index > index,
            PastMembership.joined_index <= index,
        )
        .limit(1)
    )
    return earlier is not None


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
