"""The rules of chats: who takes part, who may do what, and the event log every change writes.

Every change to a chat is an event with the chat's next index. A writer first locks the chat's
row, checks the rules against what is committed, takes the next index and writes the event, the
change-log entries and the after-commit side effects (the realtime publish, the push task) in
the same transaction. Messages, edits and deletions take the index first (``_claim``: one UPDATE
locks and numbers) since they end in one event or an error that rolls the number back; the
other writes lock first (``repository.lock_chat``) since they may end without an event.

Each participant acts in a chat as one of their profiles, fixed when they join
(``my_profile_id``); a person takes part in a chat with one profile at most.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bca.backends import Backends
from bca.backends.tasks import enqueue_after_commit
from bca.chat import repository
from bca.chat.errors import AlreadyParticipant, Blocked, InvalidField, NotInvitable
from bca.chat.models import Chat, ChatEvent, IdempotencyRecord, Participant
from bca.chat.repository import ChatView
from bca.chat.schemas import (
    ChatCreate,
    ChatRead,
    ChatUpdate,
    EventRead,
    EventsPage,
    FileRef,
    MessageCreate,
)
from bca.core.db import end_read_only_transaction
from bca.core.errors import Conflict, Forbidden, NotFound
from bca.core.time import utcnow
from bca.files.models import StoredFile
from bca.realtime.hub import hub_for, publish_event_after_commit
from bca.sync.audience import record_chat_change
from bca.sync.changelog import record_change


def direct_key(one: uuid.UUID, other: uuid.UUID) -> str:
    low, high = sorted((str(one), str(other)))
    return f"{low}:{high}"


def idempotency_scope(chat_id: uuid.UUID) -> str:
    return f"chat:{chat_id}"


# --- presentation ----------------------------------------------------------------------------


def chat_read(view: ChatView) -> ChatRead:
    chat, me = view.chat, view.participant
    return ChatRead(
        id=chat.id,
        title=chat.title,
        direct=chat.direct,
        owner_profile_id=chat.owner_profile_id,
        my_profile_id=me.profile_id,
        participant_count=view.participant_count,
        last_event_index=chat.last_event_index,
        last_event_at=chat.last_event_at,
        unread_count=view.unread_count,
        muted=me.muted,
        created_at=chat.created_at,
    )


def event_read(event: ChatEvent, stored: StoredFile | None) -> EventRead:
    file = None
    if stored is not None and event.file_id == stored.id:
        file = FileRef(
            id=stored.id,
            content_type=stored.content_type,
            size=stored.size,
            url=f"/v1/files/{stored.id}",
        )
    return EventRead(
        chat_id=event.chat_id,
        index=event.index,
        type=event.type,  # pydantic checks it is one of EventType
        profile_id=event.profile_id,
        created_at=event.created_at,
        body=event.body,
        file=file,
        target_index=event.target_index,
        target_profile_id=event.target_profile_id,
        edited_at=event.edited_at,
        deleted_at=event.deleted_at,
    )


# --- the event log ---------------------------------------------------------------------------


async def _append(
    session: AsyncSession,
    chat: Chat,
    *,
    type: str,
    profile_id: uuid.UUID,
    claimed: Claim | None = None,
    body: str | None = None,
    file_id: uuid.UUID | None = None,
    target_index: int | None = None,
    target_profile_id: uuid.UUID | None = None,
) -> ChatEvent:
    """Write the chat's next event: the index ``claimed`` already, or a newly allocated one."""
    if claimed is not None:
        index, now = claimed.index, claimed.now
    else:
        now = utcnow()
        allocated = await repository.allocate_index(session, chat.id, now=now)
        if allocated is None:
            raise NotFound()
        index = allocated
        # The UPDATE bypassed the ORM; tell the loaded row without marking it dirty.
        set_committed_value(chat, "last_event_index", index)
        set_committed_value(chat, "last_event_at", now)
    event = ChatEvent(
        chat_id=chat.id,
        index=index,
        type=type,
        profile_id=profile_id,
        created_at=now,
        body=body,
        file_id=file_id,
        target_index=target_index,
        target_profile_id=target_profile_id,
    )
    session.add(event)
    return event


def _announce(
    session: AsyncSession,
    backends: Backends,
    event: EventRead,
    *,
    user_ids: Sequence[uuid.UUID],
    departed_user_id: uuid.UUID | None = None,
) -> None:
    publish_event_after_commit(
        session,
        backends,
        chat_id=event.chat_id,
        event=event.model_dump(mode="json"),
        user_ids=user_ids,
        departed_user_id=departed_user_id,
    )


async def _record_activity(
    session: AsyncSession, chat_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> None:
    # SYNC: a new event changes the chat's last_event_index/unread_count for its members only;
    # record_chat_change would also re-send every participant's profile to every member, which
    # is N*N change-log rows per message. Wanted helper: audience.record_chat_activity(chat_id).
    await record_change(
        session, user_ids=user_ids, entity="chat", entity_id=str(chat_id), op="upsert"
    )


async def _record_own_view(session: AsyncSession, chat_id: uuid.UUID, user_id: uuid.UUID) -> None:
    # SYNC: read markers and mute change the chat as one participant sees it, for them alone.
    # Wanted helper: audience.record_chat_view_change(chat_id, user_id).
    await record_change(
        session, user_ids=[user_id], entity="chat", entity_id=str(chat_id), op="upsert"
    )


async def _locked_membership(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Chat, Participant]:
    """Lock the chat, then find the caller in it; anyone else gets 404."""
    chat = await repository.lock_chat(session, chat_id)
    if chat is None:
        raise NotFound()
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is None:
        raise NotFound()
    return chat, me


@dataclass(frozen=True)
class Claim:
    """The next index of a chat, taken by a writer that takes part in it."""

    chat: Chat
    me: Participant
    members: list[uuid.UUID]
    index: int
    now: datetime


async def _claim(session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID) -> Claim:
    """Number the caller's next event first, then check they take part (404 rolls it back).

    For writes that end in exactly one event or an error: one statement locks the chat and
    allocates, one more finds the caller and everyone the event goes to.
    """
    now = utcnow()
    chat = await repository.claim_index(session, chat_id, now=now)
    if chat is None:
        raise NotFound()
    present = await repository.present_participants(session, chat_id)
    me = next((p for p, live in present if p.user_id == user_id and live), None)
    if me is None:
        raise NotFound()
    # A participant whose profile was deleted no longer sees the chat: nothing goes to them.
    members = sorted({participant.user_id for participant, live in present if live})
    return Claim(chat, me, members, chat.last_event_index, now)


async def _view(session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID) -> ChatView:
    view = await repository.chat_view(session, chat_id=chat_id, user_id=user_id)
    if view is None:
        raise NotFound()
    return view


async def _check_invitable(
    session: AsyncSession, inviter: uuid.UUID, profiles: Sequence[uuid.UUID]
) -> None:
    """Blocks (either way) rule out an invitation first; then a follow (either way) is needed."""
    relations = await repository.relations_between(session, inviter, profiles)
    if any(relation.status == "block" for relation in relations):
        raise Blocked()
    following = {
        relation.target_id if relation.profile_id == inviter else relation.profile_id
        for relation in relations
        if relation.status == "follow"
    }
    if any(profile_id not in following for profile_id in profiles):
        raise NotInvitable()


# --- chats -----------------------------------------------------------------------------------


async def create_chat(
    session: AsyncSession, backends: Backends, *, user_id: uuid.UUID, data: ChatCreate
) -> tuple[ChatRead, bool]:
    """Create a chat; for a direct chat that exists already, return it (``False``)."""
    me = await repository.own_profile(session, user_id=user_id, profile_id=data.profile_id)
    if me is None:
        raise NotFound()
    invited = list(dict.fromkeys(data.participant_ids))
    if me.id in invited:
        raise InvalidField("participant_ids", "You take part already; list the others.")
    profiles = await repository.live_profiles(session, invited)
    if len(profiles) != len(invited):
        raise NotFound()
    owners = [profiles[profile_id].user_id for profile_id in invited]
    if user_id in owners or len(set(owners)) != len(owners):
        raise InvalidField("participant_ids", "A person takes part in a chat with one profile.")

    key = direct_key(me.id, invited[0]) if data.direct else None
    if key is not None:
        existing = await _existing_direct(session, key=key, user_id=user_id)
        if existing is not None:
            return existing, False
    await _check_invitable(session, me.id, invited)

    now = utcnow()
    chat = Chat(
        title=data.title,
        direct=data.direct,
        direct_key=key,
        owner_profile_id=me.id,
        last_event_index=0,
        last_event_at=now,
        created_at=now,
    )
    try:
        # A savepoint: losing the race to create the same direct chat leaves the transaction
        # usable to read the winner's chat.
        async with session.begin_nested():
            session.add(chat)
            await session.flush()
    except IntegrityError:
        existing = await _existing_direct(session, key=key, user_id=user_id) if key else None
        if existing is None:
            raise Conflict() from None
        return existing, False

    members = [me, *(profiles[profile_id] for profile_id in invited)]
    user_ids = sorted({profile.user_id for profile in members})
    for profile in members:
        event = await _append(
            session, chat, type="member_joined", profile_id=me.id, target_profile_id=profile.id
        )
        # Joined in the order listed: seniority decides who inherits the chat from its owner.
        session.add(
            Participant(
                chat_id=chat.id,
                profile_id=profile.id,
                user_id=profile.user_id,
                joined_at=event.created_at,
            )
        )
        _announce(session, backends, event_read(event, None), user_ids=user_ids)
    await session.flush()
    await record_chat_change(session, chat.id)
    return chat_read(await _view(session, chat_id=chat.id, user_id=user_id)), True


async def _existing_direct(
    session: AsyncSession, *, key: str, user_id: uuid.UUID
) -> ChatRead | None:
    chat = await repository.find_direct_chat(session, key)
    if chat is None:
        return None
    view = await repository.chat_view(session, chat_id=chat.id, user_id=user_id)
    return chat_read(view) if view else None


async def list_chats(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ChatRead]:
    views = await repository.list_chats(session, user_id=user_id, before=before, limit=limit)
    return [chat_read(view) for view in views]


async def get_chat(session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID) -> ChatRead:
    return chat_read(await _view(session, chat_id=chat_id, user_id=user_id))


async def update_chat(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    data: ChatUpdate,
) -> ChatRead:
    """Rename (owner of a group chat) and mute (anyone, for themselves)."""
    fields = data.model_fields_set
    chat, me = await _locked_membership(session, chat_id=chat_id, user_id=user_id)
    if "title" in fields:
        if chat.direct or chat.owner_profile_id != me.profile_id:
            raise Forbidden("Only the owner of a group chat can rename it.")
        if data.title != chat.title:
            chat.title = data.title
            event = await _append(
                session,
                chat,
                type="chat_updated",
                profile_id=me.profile_id,
                body=chat.title,
                target_profile_id=chat.owner_profile_id,
            )
            await session.flush()
            members = await repository.member_user_ids(session, chat.id)
            _announce(session, backends, event_read(event, None), user_ids=members)
            await record_chat_change(session, chat.id)
    if data.muted is not None and data.muted != me.muted:
        me.muted = data.muted
        await session.flush()
        await _record_own_view(session, chat.id, user_id)
    return chat_read(await _view(session, chat_id=chat.id, user_id=user_id))


async def list_participants(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[Chat, list[Participant]]:
    view = await _view(session, chat_id=chat_id, user_id=user_id)
    participants = await repository.visible_participants(session, chat_id, after=after, limit=limit)
    return view.chat, participants


async def add_participant(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    profile_id: uuid.UUID,
) -> EventRead:
    chat, me = await _locked_membership(session, chat_id=chat_id, user_id=user_id)
    if chat.direct:
        raise Forbidden("A direct chat is between two people; start a group chat instead.")
    target = (await repository.live_profiles(session, [profile_id])).get(profile_id)
    if target is None:
        raise NotFound()
    if await repository.membership(session, chat_id=chat.id, user_id=target.user_id):
        raise AlreadyParticipant()
    await _check_invitable(session, me.profile_id, [target.id])
    now = utcnow()
    participant = await repository.get_participant(session, chat_id=chat.id, profile_id=target.id)
    if participant is None:
        session.add(
            Participant(
                chat_id=chat.id, profile_id=target.id, user_id=target.user_id, joined_at=now
            )
        )
    else:
        participant.left_at = None
        participant.joined_at = now
    event = await _append(
        session, chat, type="member_joined", profile_id=me.profile_id, target_profile_id=target.id
    )
    await session.flush()
    members = await repository.member_user_ids(session, chat.id)
    _announce(session, backends, event_read(event, None), user_ids=members)
    await record_chat_change(session, chat.id)
    return event_read(event, None)


async def remove_participant(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    profile_id: uuid.UUID,
) -> None:
    """Leave (one's own profile) or kick (the owner, anyone else)."""
    chat, me = await _locked_membership(session, chat_id=chat_id, user_id=user_id)
    if chat.direct:
        raise Forbidden("Nobody leaves a direct chat; mute it instead.")
    if profile_id == me.profile_id:
        target, kind = me, "member_left"
    else:
        if chat.owner_profile_id != me.profile_id:
            raise Forbidden("Only the owner can remove others from the chat.")
        found = await repository.get_participant(session, chat_id=chat.id, profile_id=profile_id)
        if found is None or found.left_at is not None:
            raise NotFound()
        target, kind = found, "member_kicked"
    target.left_at = utcnow()
    event = await _append(
        session, chat, type=kind, profile_id=me.profile_id, target_profile_id=target.profile_id
    )
    await session.flush()
    events = [event]
    if chat.owner_profile_id == target.profile_id:
        remaining = await repository.active_participants(session, chat.id)
        if remaining:
            # The longest-standing participant inherits the chat.
            chat.owner_profile_id = remaining[0].profile_id
            events.append(
                await _append(
                    session,
                    chat,
                    type="chat_updated",
                    profile_id=me.profile_id,
                    body=chat.title,
                    target_profile_id=chat.owner_profile_id,
                )
            )
            await session.flush()
    members = await repository.member_user_ids(session, chat.id)
    for written in events:
        _announce(
            session,
            backends,
            event_read(written, None),
            user_ids=members,
            departed_user_id=target.user_id if written is event else None,
        )
    await record_chat_change(session, chat.id, also=[target.user_id])


async def mark_read(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID, index: int
) -> None:
    view = await _view(session, chat_id=chat_id, user_id=user_id)
    if index > view.chat.last_event_index:
        raise InvalidField("index", "The chat has no event with this index yet.")
    moved = await repository.mark_read(
        session, chat_id=chat_id, profile_id=view.participant.profile_id, index=index
    )
    if moved:
        await _record_own_view(session, chat_id, user_id)


# --- messages --------------------------------------------------------------------------------


async def post_message(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    data: MessageCreate,
    idempotency_key: str | None,
) -> EventRead:
    """Post a message; a retry with the same ``Idempotency-Key`` returns the first event."""
    stored = None
    if data.file_id is not None:
        stored = await repository.upload_of(session, file_id=data.file_id, owner_user_id=user_id)
        if stored is None:
            raise InvalidField("file_id", "Attach a file you uploaded yourself.")
    record = None
    if idempotency_key is not None:
        scope = idempotency_scope(chat_id)
        earlier = await _replay(session, user_id=user_id, chat_id=chat_id, key=idempotency_key)
        if earlier is not None:
            return earlier
        record = IdempotencyRecord(user_id=user_id, scope=scope, key=idempotency_key, result="")
        try:
            # Claimed before the chat lock: a concurrent retry waits on this key (and then
            # finds the first post) instead of writing a second message.
            async with session.begin_nested():
                session.add(record)
                await session.flush()
        except IntegrityError:
            earlier = await _replay(session, user_id=user_id, chat_id=chat_id, key=idempotency_key)
            if earlier is None:
                raise Conflict("The same Idempotency-Key is being used right now.") from None
            return earlier

    claim = await _claim(session, chat_id=chat_id, user_id=user_id)
    chat = claim.chat
    if data.reply_to is not None:
        original = await repository.get_event(session, chat_id=chat.id, index=data.reply_to)
        if original is None or original.type != "message" or original.deleted_at is not None:
            raise InvalidField("reply_to", "Reply to a message of this chat.")
    body = data.body if data.body and data.body.strip() else None
    event = await _append(
        session,
        chat,
        type="message",
        profile_id=claim.me.profile_id,
        claimed=claim,
        body=body,
        file_id=stored.id if stored else None,
        target_index=data.reply_to,
    )
    if record is not None:
        record.result = str(event.index)
    await session.flush()
    await _record_activity(session, chat.id, claim.members)
    written = event_read(event, stored)
    _announce(session, backends, written, user_ids=claim.members)
    enqueue_after_commit(
        session, backends.tasks, "chat.send_push", chat_id=str(chat.id), index=event.index
    )
    return written


async def _replay(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID, key: str
) -> EventRead | None:
    record = await repository.idempotent_result(
        session, user_id=user_id, scope=idempotency_scope(chat_id), key=key
    )
    if record is None or not record.result.isdigit():
        return None
    if await repository.membership(session, chat_id=chat_id, user_id=user_id) is None:
        raise NotFound()
    event = await repository.get_event(session, chat_id=chat_id, index=int(record.result))
    if event is None:
        return None
    return event_read(event, await repository.get_file(session, event.file_id))


async def edit_message(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
    body: str,
) -> EventRead:
    claim = await _claim(session, chat_id=chat_id, user_id=user_id)
    original = await _live_message(session, chat_id=chat_id, index=index)
    if original.profile_id != claim.me.profile_id:
        raise Forbidden("Only the author can edit a message.")
    original.body = body
    original.edited_at = claim.now
    event = await _append(
        session,
        claim.chat,
        type="message_edited",
        profile_id=claim.me.profile_id,
        claimed=claim,
        body=body,
        target_index=original.index,
    )
    await session.flush()
    await _record_activity(session, chat_id, claim.members)
    written = event_read(event, None)
    _announce(session, backends, written, user_ids=claim.members)
    return written


async def delete_message(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    index: int,
) -> None:
    """The author or the chat's owner; the body and file are gone for good, edits included."""
    claim = await _claim(session, chat_id=chat_id, user_id=user_id)
    original = await _live_message(session, chat_id=chat_id, index=index)
    if claim.me.profile_id not in (original.profile_id, claim.chat.owner_profile_id):
        raise Forbidden("Only the author or the chat's owner can delete a message.")
    original.body = None
    original.file_id = None
    original.deleted_at = claim.now
    await repository.forget_edits(session, chat_id=chat_id, index=original.index)
    event = await _append(
        session,
        claim.chat,
        type="message_deleted",
        profile_id=claim.me.profile_id,
        claimed=claim,
        target_index=original.index,
    )
    await session.flush()
    await _record_activity(session, chat_id, claim.members)
    _announce(session, backends, event_read(event, None), user_ids=claim.members)


async def _live_message(session: AsyncSession, *, chat_id: uuid.UUID, index: int) -> ChatEvent:
    event = await repository.get_event(session, chat_id=chat_id, index=index)
    if event is None or event.type != "message" or event.deleted_at is not None:
        raise NotFound()
    return event


# --- reading events --------------------------------------------------------------------------


async def read_events(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    after: int,
    limit: int,
    wait: float,
) -> EventsPage:
    """Events after ``after``; with ``wait``, long-poll until one arrives or the wait ends.

    Waiting is woken by the realtime hub, never by polling the database, and holds no
    transaction.
    """
    page = await _events_page(session, user_id=user_id, chat_id=chat_id, after=after, limit=limit)
    if page.events or wait <= 0:
        return page
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    # No transaction while waiting (see end_read_only_transaction): it would hold SQLite's write
    # lock or pin a pooled PostgreSQL connection for up to 30 s.
    await end_read_only_transaction(session)
    async with hub_for(backends).watch(chat_id) as woken:
        while True:
            # Cleared before reading: an event published during the read still wakes the wait.
            woken.clear()
            page = await _events_page(
                session, user_id=user_id, chat_id=chat_id, after=after, limit=limit
            )
            await end_read_only_transaction(session)
            remaining = deadline - loop.time()
            if page.events or remaining <= 0:
                return page
            with suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), remaining)


async def _events_page(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID, after: int, limit: int
) -> EventsPage:
    through = None
    if await repository.membership(session, chat_id=chat_id, user_id=user_id) is None:
        # Departed participants keep the history up to their departure, and nothing after it.
        through = await repository.departure_index(session, chat_id=chat_id, user_id=user_id)
        if through is None or after >= through:
            raise NotFound()
    rows = await repository.list_events(
        session, chat_id=chat_id, after=after, limit=limit, through=through
    )
    events = [event_read(event, stored) for event, stored in rows]
    return EventsPage(events=events, next_after=events[-1].index if events else after)


# --- realtime --------------------------------------------------------------------------------


async def typing_audience(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID
) -> tuple[uuid.UUID, list[uuid.UUID]] | None:
    """The caller's profile in the chat and the other participants' users, if they take part."""
    me = await repository.membership(session, chat_id=chat_id, user_id=user_id)
    if me is None:
        return None
    members = await repository.member_user_ids(session, chat_id)
    return me.profile_id, [member for member in members if member != user_id]
