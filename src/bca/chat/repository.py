"""Every SQL statement of chats and their participants (the event log's are in ``event_log``,
which writes, and ``event_reads``).

Reads of profiles, relations, files and sessions (tables of other domains) are written here as
chat needs them: a chat only counts and invites participants whose profile is not deleted and
whose owner is not deactivated, and pushes only to live sessions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bca.cards.models import Card
from bca.chat.models import (
    DECLINED,
    PENDING,
    Chat,
    ChatEvent,
    ChatRequest,
    Mention,
    Participant,
    PastMembership,
)
from bca.files.models import StoredFile
from bca.profiles.models import Profile
from bca.profiles.visibility import alive


@dataclass(frozen=True)
class ChatView:
    """A chat as one participant sees it."""

    chat: Chat
    participant: Participant
    participant_count: int
    # The chat's newest event (a current participant may read it: it is never older than their
    # joining) and its attachment, for the chat list's "last message".
    last_event: ChatEvent | None
    last_file: StoredFile | None
    # Messages after my read marker that mention my profile (``chat/mentions.py``).
    unread_mentions: int = 0
    # Messages by others after my read marker, not deleted, counted up to ``MAX_UNREAD``:
    # reactions, pins, previews, edits and membership changes are no news to count.
    unread_count: int = 0


# --- profiles, relations, files (read only) --------------------------------------------------


def attachment_shown(viewer: uuid.UUID, file_id: Any) -> ColumnElement[bool]:
    """A message's attachment, to the current participants of its chat."""
    return exists().where(
        ChatEvent.file_id == file_id,
        ChatEvent.deleted_at.is_(None),
        Participant.chat_id == ChatEvent.chat_id,
        Participant.user_id == viewer,
        Participant.left_at.is_(None),
    )


def attachment_kept(file_id: Any) -> ColumnElement[bool]:
    """An attachment stays when a profile image or card preview it also is gets replaced."""
    return exists().where(ChatEvent.file_id == file_id)


# --- chats and participants ------------------------------------------------------------------


def shown_as_member(participant: Any = Participant) -> ColumnElement[bool]:
    """A participant as the others see them: present, or gone by declining a message request
    (a declined request looks to everyone else as it did while it was pending)."""
    return or_(participant.left_at.is_(None), participant.request == DECLINED)


async def find_direct_chat(session: AsyncSession, direct_key: str) -> Chat | None:
    chat: Chat | None = await session.scalar(select(Chat).where(Chat.direct_key == direct_key))
    return chat


MAX_UNREAD = 1000
"""Unread messages are counted up to this many (an app shows "999+"): a chat list costs the
same however long someone stayed away."""


def _my_chats() -> Select[Chat, Participant, int, ChatEvent, StoredFile, int, int]:
    """The chats of the user ``viewer``, with what only they see (read marker, mute), the
    number of live participants (a count over members, never over the chat's history) and the
    newest event (one row of the ``(chat_id, index)`` primary key)."""
    other = aliased(Participant)
    other_profile = aliased(Profile)
    participants = (
        select(func.count())
        .select_from(other)
        .join(other_profile, other_profile.id == other.profile_id)
        .where(other.chat_id == Chat.id, shown_as_member(other), alive(other_profile))
        .correlate(Chat)
        .scalar_subquery()
    )
    # Index range of ``(user_id, chat_id, message_index)``: nothing when unused.
    unread_mentions = (
        select(func.count())
        .select_from(Mention)
        .where(
            Mention.user_id == Participant.user_id,
            Mention.chat_id == Chat.id,
            Mention.message_index > Participant.last_read_index,
        )
        .correlate(Chat, Participant)
        .scalar_subquery()
    )
    # Index range of the chat's events after my marker (the primary key), at most MAX_UNREAD.
    unread = aliased(ChatEvent, name="unread_event")
    unread_messages = (
        select(unread.index)
        .where(
            unread.chat_id == Chat.id,
            unread.index > Participant.last_read_index,
            unread.type == "message",
            unread.profile_id != Participant.profile_id,
            unread.deleted_at.is_(None),
        )
        .correlate(Chat, Participant)
        .limit(MAX_UNREAD)
        .subquery()
    )
    unread_count = select(func.count()).select_from(unread_messages).scalar_subquery()
    return (
        select(
            Chat, Participant, participants, ChatEvent, StoredFile, unread_mentions, unread_count
        )
        .select_from(Participant)
        .join(Chat, Chat.id == Participant.chat_id)
        .join(Profile, Profile.id == Participant.profile_id)
        .outerjoin(
            ChatEvent,
            and_(ChatEvent.chat_id == Chat.id, ChatEvent.index == Chat.last_event_index),
        )
        .outerjoin(
            StoredFile, and_(StoredFile.id == ChatEvent.file_id, StoredFile.deleted_at.is_(None))
        )
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
    _my_chats()
    .where(Participant.request.is_(None))
    .order_by(Chat.last_event_at.desc(), Chat.id.desc())
    .limit(bindparam("limit"))
)
_MY_REQUESTS = (
    _my_chats()
    .where(Participant.request == PENDING)
    .order_by(Chat.last_event_at.desc(), Chat.id.desc())
    .limit(bindparam("limit"))
)
_BEFORE = or_(
    Chat.last_event_at < bindparam("before_at"),
    and_(Chat.last_event_at == bindparam("before_at"), Chat.id < bindparam("before_id")),
)
_MY_CHATS_BEFORE = _MY_CHATS_BY_ACTIVITY.where(_BEFORE)
_MY_REQUESTS_BEFORE = _MY_REQUESTS.where(_BEFORE)


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
    return ChatView(*row) if row else None


async def list_chats(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    requests: bool = False,
) -> list[ChatView]:
    """Most recent activity first; the cursor is the last row's ``(last_event_at, id)``.
    ``requests``: the message requests I have not answered instead of my chats."""
    parameters: dict[str, object] = {"viewer": user_id, "limit": limit}
    query = _MY_REQUESTS if requests else _MY_CHATS_BY_ACTIVITY
    if before is not None:
        query = _MY_REQUESTS_BEFORE if requests else _MY_CHATS_BEFORE
        parameters |= {"before_at": before[0], "before_id": before[1]}
    rows = (await session.execute(query, parameters)).all()
    return [ChatView(*row) for row in rows]


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
    """Those who take part (not invitees of a request they have not answered)."""
    rows = await session.scalars(
        select(Participant)
        .where(
            Participant.chat_id == chat_id,
            Participant.left_at.is_(None),
            Participant.request.is_(None),
        )
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
        .where(Participant.chat_id == chat_id, shown_as_member(), alive())
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


async def reading_windows(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID
) -> list[tuple[int, int | None]]:
    """The ranges of event indexes a user may read in a chat, oldest first: each membership
    from its first event to the event that ended it (``None``: it goes on).

    A departed participant keeps their history up to their departure, which tells them that
    (and by whom) they were removed, but nothing after it; one invited back reads on from the
    invitation, and the time away stays invisible.
    """
    current = await session.execute(
        select(Participant.joined_index, Participant.left_index).where(
            Participant.chat_id == chat_id, Participant.user_id == user_id
        )
    )
    past = await session.execute(
        select(PastMembership.joined_index, PastMembership.left_index).where(
            PastMembership.chat_id == chat_id, PastMembership.user_id == user_id
        )
    )
    windows = [(int(row[0]), row[1]) for row in current] + [
        (int(row[0]), int(row[1])) for row in past
    ]
    return sorted(windows, key=lambda window: window[0])


# The participants an event goes to, built once (see ``core.db.execute_core``): every
# participant who has not left, oldest first, ``(profile_id, user_id, alive, answered)``
# (``alive``: their profile is not deleted; ``answered``: not a message request still pending);
# one index range of the chat's participants.
PRESENT_PARTICIPANTS = (
    select(
        Participant.profile_id,
        Participant.user_id,
        Profile.deleted_at.is_(None),
        Participant.request.is_(None),
    )
    .join(Profile, Profile.id == Participant.profile_id)
    .where(
        Participant.chat_id == bindparam("for_chat", type_=Participant.chat_id.type),
        Participant.left_at.is_(None),
    )
    .order_by(Participant.joined_at, Participant.profile_id)
)


# --- message requests ------------------------------------------------------------------------


async def lock_profile(session: AsyncSession, profile_id: uuid.UUID) -> None:
    """Hold the inviting profile's row lock: its requests are counted one writer at a time."""
    await session.execute(select(Profile.id).where(Profile.id == profile_id).with_for_update())


async def requests_since(
    session: AsyncSession, *, inviter_profile_id: uuid.UUID, since: datetime
) -> list[datetime]:
    """When the profile's requests since ``since`` were made, oldest first (one index range)."""
    rows = await session.scalars(
        select(ChatRequest.created_at)
        .where(
            ChatRequest.inviter_profile_id == inviter_profile_id,
            ChatRequest.created_at > since,
        )
        .order_by(ChatRequest.created_at)
    )
    return list(rows.all())


async def verified_emails_of(session: AsyncSession, profile_id: uuid.UUID) -> list[Any]:
    """The verified addresses on the profile's live cards (``Card.verified_emails`` lists)."""
    rows = await session.scalars(
        select(Card.verified_emails).where(
            Card.profile_id == profile_id,
            Card.deleted_at.is_(None),
            Card.verified_until.is_not(None),
        )
    )
    return [entry for entries in rows.all() for entry in entries or ()]


async def chat_request(
    session: AsyncSession, *, chat_id: uuid.UUID, profile_id: uuid.UUID
) -> ChatRequest | None:
    return await session.get(ChatRequest, (chat_id, profile_id))


async def first_message_since(
    session: AsyncSession, *, chat_id: uuid.UUID, index: int
) -> ChatEvent | None:
    """The chat's first message after ``index`` (one range of the primary key)."""
    event: ChatEvent | None = await session.scalar(
        select(ChatEvent)
        .where(ChatEvent.chat_id == chat_id, ChatEvent.index > index, ChatEvent.type == "message")
        .order_by(ChatEvent.index)
        .limit(1)
    )
    return event
