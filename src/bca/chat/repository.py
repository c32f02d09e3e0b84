"""Every SQL statement of the chat domain.

Reads of profiles, relations, files and sessions (tables of other domains) are written here as
chat needs them: a chat only counts and invites participants whose profile is not deleted and
whose owner is not deactivated, and pushes only to live sessions.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
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
from bca.files.uses import exposed_by, kept_by
from bca.profiles.models import Profile, Relation
from bca.profiles.visibility import alive

MESSAGE = "message"
MESSAGE_EDITED = "message_edited"
MESSAGE_DELETED = "message_deleted"
DEPARTURES = ("member_left", "member_kicked")


@dataclass(frozen=True)
class ChatView:
    """A chat as one participant sees it."""

    chat: Chat
    participant: Participant
    participant_count: int

    @property
    def unread_count(self) -> int:
        return max(0, self.chat.last_event_index - self.participant.last_read_index)


@dataclass(frozen=True)
class Claimed:
    """A chat's next event index, taken under the chat's row lock, and what the writer needs."""

    index: int
    owner_profile_id: uuid.UUID
    title: str | None
    direct: bool


@dataclass(frozen=True)
class Present:
    """A participant who has not left; ``alive``: their profile is not deleted."""

    profile_id: uuid.UUID
    user_id: uuid.UUID
    alive: bool


@dataclass(frozen=True)
class PushTarget:
    session_id: uuid.UUID
    token: str


# --- profiles, relations, files (read only) --------------------------------------------------


@exposed_by
def _attachment(viewer: uuid.UUID, file_id: Any) -> ColumnElement[bool]:
    """A message's attachment, to the current participants of its chat."""
    return exists().where(
        ChatEvent.file_id == file_id,
        ChatEvent.deleted_at.is_(None),
        Participant.chat_id == ChatEvent.chat_id,
        Participant.user_id == viewer,
        Participant.left_at.is_(None),
    )


@kept_by
def _posted(file_id: Any) -> ColumnElement[bool]:
    """An attachment stays when a profile image or card preview it also is gets replaced."""
    return exists().where(ChatEvent.file_id == file_id)


# --- chats and participants ------------------------------------------------------------------


async def find_direct_chat(session: AsyncSession, direct_key: str) -> Chat | None:
    chat: Chat | None = await session.scalar(select(Chat).where(Chat.direct_key == direct_key))
    return chat


def _my_chats() -> Select[Chat, Participant, int]:
    """The chats of the user ``viewer``, with what only they see (read marker, mute) and the
    number of live participants (a count over members, never over the chat's history)."""
    other = aliased(Participant)
    other_profile = aliased(Profile)
    participants = (
        select(func.count())
        .select_from(other)
        .join(other_profile, other_profile.id == other.profile_id)
        .where(other.chat_id == Chat.id, other.left_at.is_(None), alive(other_profile))
        .correlate(Chat)
        .scalar_subquery()
    )
    return (
        select(Chat, Participant, participants)
        .select_from(Participant)
        .join(Chat, Chat.id == Participant.chat_id)
        .join(Profile, Profile.id == Participant.profile_id)
        .where(
            Participant.user_id == bindparam("viewer"),
            Participant.left_at.is_(None),
            Profile.deleted_at.is_(None),
        )
        .execution_options(populate_existing=True)
    )


# Built once (aliases and statements cost more to build than to run).
_MY_CHAT = _my_chats().where(Chat.id == bindparam("chat"))
_MY_CHATS_BY_ACTIVITY = (
    _my_chats().order_by(Chat.last_event_at.desc(), Chat.id.desc()).limit(bindparam("limit"))
)
_MY_CHATS_BEFORE = _MY_CHATS_BY_ACTIVITY.where(
    or_(
        Chat.last_event_at < bindparam("before_at"),
        and_(Chat.last_event_at == bindparam("before_at"), Chat.id < bindparam("before_id")),
    )
)


async def lock_chat(session: AsyncSession, chat_id: uuid.UUID) -> Chat | None:
    """Load a chat and hold its row lock until the transaction ends.

    Every write to a chat starts here, so that writers of one chat run one after another and
    each sees the membership and state the previous one committed. (SQLite has no row locks;
    there every transaction already holds the database's write lock from its first statement.)
    """
    chat: Chat | None = await session.scalar(
        select(Chat)
        .where(Chat.id == chat_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return chat


async def chat_view(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID
) -> ChatView | None:
    row = (await session.execute(_MY_CHAT, {"viewer": user_id, "chat": chat_id})).first()
    return ChatView(row[0], row[1], row[2]) if row else None


async def list_chats(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ChatView]:
    """Most recent activity first; the cursor is the last row's ``(last_event_at, id)``."""
    parameters: dict[str, object] = {"viewer": user_id, "limit": limit}
    query = _MY_CHATS_BY_ACTIVITY
    if before is not None:
        query = _MY_CHATS_BEFORE
        parameters |= {"before_at": before[0], "before_id": before[1]}
    rows = (await session.execute(query, parameters)).all()
    return [ChatView(row[0], row[1], row[2]) for row in rows]


_MEMBERSHIP = (
    select(Participant)
    .join(Profile, Profile.id == Participant.profile_id)
    .where(
        Participant.chat_id == bindparam("chat"),
        Participant.user_id == bindparam("user"),
        Participant.left_at.is_(None),
        Profile.deleted_at.is_(None),
    )
    .order_by(Participant.joined_at)
    .limit(1)
)


async def membership(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID
) -> Participant | None:
    """The user's live participation in a chat (a user takes part with one profile at most)."""
    participant: Participant | None = await session.scalar(
        _MEMBERSHIP, {"chat": chat_id, "user": user_id}
    )
    return participant


async def get_participant(
    session: AsyncSession, *, chat_id: uuid.UUID, profile_id: uuid.UUID
) -> Participant | None:
    return await session.get(Participant, (chat_id, profile_id))


async def active_participants(session: AsyncSession, chat_id: uuid.UUID) -> list[Participant]:
    rows = await session.scalars(
        select(Participant)
        .where(Participant.chat_id == chat_id, Participant.left_at.is_(None))
        .order_by(Participant.joined_at, Participant.profile_id)
    )
    return list(rows.all())


async def visible_participants(
    session: AsyncSession,
    chat_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Participant]:
    query = (
        select(Participant)
        .join(Profile, Profile.id == Participant.profile_id)
        .where(Participant.chat_id == chat_id, Participant.left_at.is_(None), alive())
    )
    if after is not None:
        query = query.where(
            or_(
                Participant.joined_at > after[0],
                and_(Participant.joined_at == after[0], Participant.profile_id > after[1]),
            )
        )
    query = query.order_by(Participant.joined_at, Participant.profile_id).limit(limit)
    return list((await session.scalars(query)).all())


async def member_user_ids(session: AsyncSession, chat_id: uuid.UUID) -> list[uuid.UUID]:
    """The users an event of the chat goes to: those taking part with a profile not deleted."""
    rows = await session.scalars(
        select(Participant.user_id)
        .join(Profile, Profile.id == Participant.profile_id)
        .where(
            Participant.chat_id == chat_id,
            Participant.left_at.is_(None),
            Profile.deleted_at.is_(None),
        )
    )
    return sorted(set(rows.all()))


async def departure_index(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID
) -> int | None:
    """The index of the event by which a user last left the chat (None if they never did).

    A departed participant may still read the chat's history up to that event, which tells
    them that (and by whom) they were removed, but nothing after it.
    """
    index: int | None = await session.scalar(
        select(func.max(Participant.left_index)).where(
            Participant.chat_id == chat_id,
            Participant.user_id == user_id,
            Participant.left_at.is_not(None),
        )
    )
    return index


async def allocate_index(session: AsyncSession, chat_id: uuid.UUID, *, now: datetime) -> int | None:
    """Take the next event index of a chat; None when the chat does not exist.

    The UPDATE locks the chat's row until the transaction ends, so concurrent writers of one
    chat queue here and each gets the next number: no gaps (a rolled-back writer's increment is
    rolled back with it) and no duplicates. Never ``max(index) + 1``, which races.
    """
    index: int | None = await session.scalar(
        update(Chat)
        .where(Chat.id == chat_id)
        .values(last_event_index=Chat.last_event_index + 1, last_event_at=now)
        .returning(Chat.last_event_index)
        .execution_options(synchronize_session=False)
    )
    return index


# The statements of the message path are built once (see ``core.db.execute_core``).
_CLAIM_INDEX = (
    update(Chat)
    .where(Chat.id == bindparam("chat_id"))
    .values(last_event_index=Chat.last_event_index + 1, last_event_at=bindparam("now"))
    .returning(Chat.last_event_index, Chat.owner_profile_id, Chat.title, Chat.direct)
)
_PRESENT = (
    select(Participant.profile_id, Participant.user_id, Profile.deleted_at.is_(None))
    .join(Profile, Profile.id == Participant.profile_id)
    .where(Participant.chat_id == bindparam("chat_id"), Participant.left_at.is_(None))
    .order_by(Participant.joined_at, Participant.profile_id)
)
_MARK_READ = (
    update(Participant)
    .where(
        Participant.chat_id == bindparam("for_chat"),
        Participant.profile_id == bindparam("for_profile"),
        Participant.last_read_index < bindparam("to_index"),
    )
    .values(last_read_index=bindparam("to_index"))
    .returning(Participant.profile_id)
)
_ADVANCE_READ_MARKER = (
    update(Participant)
    .where(
        Participant.chat_id == bindparam("for_chat"),
        Participant.user_id == bindparam("for_user"),
        Participant.left_at.is_(None),
        Participant.last_read_index < bindparam("to_index"),
        exists().where(Profile.id == Participant.profile_id, Profile.deleted_at.is_(None)),
        select(Chat.last_event_index).where(Chat.id == bindparam("for_chat")).scalar_subquery()
        >= bindparam("to_index"),
    )
    .values(last_read_index=bindparam("to_index"))
    .returning(Participant.profile_id)
)


async def claim_index(
    session: AsyncSession, chat_id: uuid.UUID, *, now: datetime
) -> Claimed | None:
    """``allocate_index`` for writers that will certainly write an event (or fail and roll
    back): one statement both locks the chat and numbers the event."""
    row = (await execute_core(session, _CLAIM_INDEX, {"chat_id": chat_id, "now": now})).first()
    return Claimed(row[0], row[1], row[2], row[3]) if row else None


async def present_participants(session: AsyncSession, chat_id: uuid.UUID) -> list[Present]:
    """Everyone taking part, oldest first: one index range of the chat's participants."""
    rows = await execute_core(session, _PRESENT, {"chat_id": chat_id})
    return [Present(row[0], row[1], bool(row[2])) for row in rows.all()]


async def mark_read(
    session: AsyncSession, *, chat_id: uuid.UUID, profile_id: uuid.UUID, index: int
) -> bool:
    """Move the read marker forward only; True when it moved."""
    parameters = {"for_chat": chat_id, "for_profile": profile_id, "to_index": index}
    return (await execute_core(session, _MARK_READ, parameters)).first() is not None


async def advance_read_marker(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID, index: int
) -> bool:
    """Move a live participant's marker forward to ``index`` if the chat has that event: one
    statement on the common path. False when nothing moved (the caller then finds out why)."""
    parameters = {"for_chat": chat_id, "for_user": user_id, "to_index": index}
    return (await execute_core(session, _ADVANCE_READ_MARKER, parameters)).first() is not None


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
