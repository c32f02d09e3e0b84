"""The rules of chats: who takes part, who may do what, and the event log every change writes.

Every change to a chat is an event with the chat's next index. Messages, edits and deletions
take the index first (``_claim``: one UPDATE locks the chat and numbers the event), then check
that the writer takes part, so the chat's lock is held only from the allocation to the commit
and nothing in that window reads the chat's history. Membership changes lock first
(``repository.lock_chat``) since they may end without an event. The realtime publish and the
push task follow the commit.

Chat *activity* (the last index, unread counts) is not part of the sync change log: clients
learn it from the events. A message writes one change-log entry, for its poster, whose read
marker moves to it.

Each participant acts in a chat as one of their profiles, fixed when they join
(``my_profile_id``); a person takes part in a chat with one profile at most.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bca.backends import Backends
from bca.backends.pubsub import publish_event_after_commit
from bca.backends.tasks import enqueue_after_commit
from bca.chat import repository
from bca.chat.errors import (
    AlreadyParticipant,
    Blocked,
    IdempotencyKeyReused,
    InvalidField,
    NotInvitable,
)
from bca.chat.models import Chat, ChatEvent, IdempotencyRecord, Participant
from bca.chat.repository import ChatView, Claimed
from bca.chat.schemas import (
    ChatCreate,
    ChatRead,
    ChatUpdate,
    EventRead,
    EventsPage,
    FileRef,
    MessageCreate,
)
from bca.chat.sync import record_chat_change
from bca.core.db import end_read_only_transaction, outbox
from bca.core.errors import Conflict, Forbidden, NotFound
from bca.core.time import isoformat, utcnow
from bca.files import service as files_service
from bca.files.models import StoredFile
from bca.files.urls import file_url
from bca.profiles import service as profiles_service
from bca.sync.changelog import touch_held


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
        read_index=me.last_read_index,
        muted=me.muted,
        created_at=chat.created_at,
    )


def file_ref(public_url: str, stored: StoredFile | None) -> FileRef | None:
    if stored is None:
        return None
    return FileRef(
        id=stored.id,
        content_type=stored.content_type,
        size=stored.size,
        url=file_url(public_url, stored.id),
    )


def event_read(event: ChatEvent, file: FileRef | None) -> EventRead:
    return EventRead(
        chat_id=event.chat_id,
        index=event.index,
        type=event.type,  # pydantic checks it is one of EventType
        profile_id=event.profile_id,
        created_at=event.created_at,
        body=event.body,
        file=file if file is not None and event.file_id == file.id else None,
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
    body: str | None = None,
    target_profile_id: uuid.UUID | None = None,
    read: bool = True,
) -> ChatEvent:
    """Write the chat's next event (membership changes, which hold the chat's lock already).

    ``read``: the author has read the chat up to their own event (their caller records the
    chat's change for everyone anyway).
    """
    now = utcnow()
    index = await repository.allocate_index(session, chat.id, now=now)
    if index is None:
        raise NotFound()
    if read:
        await repository.mark_read(session, chat_id=chat.id, profile_id=profile_id, index=index)
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
        backends.cache,
        chat_id=event.chat_id,
        event=event.model_dump(mode="json"),
        user_ids=user_ids,
        departed_user_id=departed_user_id,
    )


def _record_own_view(session: AsyncSession, chat_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The chat changed as one participant sees it (read marker, mute), for them alone; they
    take part (checked by the caller in this transaction), so their copy holds the chat."""
    touch_held(session, user_id=user_id, entity="chat", entity_id=str(chat_id))


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

    chat_id: uuid.UUID
    chat: Claimed
    profile_id: uuid.UUID
    members: list[uuid.UUID]
    now: datetime

    @property
    def index(self) -> int:
        return self.chat.index


async def _claim(session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID) -> Claim:
    """Number the caller's next event first, then check they take part (404 rolls it back).

    For writes that end in exactly one event or an error: one statement locks the chat and
    allocates, one more (under the lock, so it sees every committed join and departure) finds
    the caller and everyone the event goes to.
    """
    now = utcnow()
    chat = await repository.claim_index(session, chat_id, now=now)
    if chat is None:
        raise NotFound()
    present = await repository.present_participants(session, chat_id)
    me = next((p for p in present if p.user_id == user_id and p.alive), None)
    if me is None:
        raise NotFound()
    # A participant whose profile was deleted no longer sees the chat: nothing goes to them.
    members = sorted({participant.user_id for participant in present if participant.alive})
    return Claim(chat_id, chat, me.profile_id, members, now)


async def _view(session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID) -> ChatView:
    view = await repository.chat_view(session, chat_id=chat_id, user_id=user_id)
    if view is None:
        raise NotFound()
    return view


async def _check_invitable(
    session: AsyncSession, inviter: uuid.UUID, profiles: Sequence[uuid.UUID]
) -> None:
    """Blocks (either way) rule out an invitation first; then a follow (either way) is needed."""
    relations = await profiles_service.relations_between(session, inviter, profiles)
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
    me = await profiles_service.own_profile(session, user_id=user_id, profile_id=data.profile_id)
    invited = list(dict.fromkeys(data.participant_ids))
    if me.id in invited:
        raise InvalidField("participant_ids", "You take part already; list the others.")
    profiles = await profiles_service.live_profiles(session, invited)
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
    joined = []
    for profile in members:
        event = await _append(
            session,
            chat,
            type="member_joined",
            profile_id=me.id,
            target_profile_id=profile.id,
            read=False,
        )
        # Joined in the order listed: seniority decides who inherits the chat from its owner.
        joined.append(
            Participant(
                chat_id=chat.id,
                profile_id=profile.id,
                user_id=profile.user_id,
                joined_at=event.created_at,
            )
        )
        _announce(session, backends, event_read(event, None), user_ids=user_ids)
    for participant in joined:
        # Nobody has anything to catch up on in a chat that was just created.
        participant.last_read_index = chat.last_event_index
    session.add_all(joined)
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
        _record_own_view(session, chat.id, user_id)
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
    target = (await profiles_service.live_profiles(session, [profile_id])).get(profile_id)
    if target is None:
        raise NotFound()
    if await repository.membership(session, chat_id=chat.id, user_id=target.user_id):
        raise AlreadyParticipant()
    await _check_invitable(session, me.profile_id, [target.id])
    event = await _append(
        session, chat, type="member_joined", profile_id=me.profile_id, target_profile_id=target.id
    )
    participant = await repository.get_participant(session, chat_id=chat.id, profile_id=target.id)
    if participant is None:
        participant = Participant(chat_id=chat.id, profile_id=target.id, user_id=target.user_id)
        session.add(participant)
    participant.left_at = None
    participant.left_index = None
    participant.joined_at = event.created_at
    # What happened before the join is history, not unread news.
    participant.last_read_index = event.index
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
    event = await _append(
        session, chat, type=kind, profile_id=me.profile_id, target_profile_id=target.profile_id
    )
    target.left_at = event.created_at
    target.left_index = event.index
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
    """One statement on the common path; the reasons for a marker that did not move (not a
    participant, an event that does not exist yet, or already read) are looked up only then."""
    if await repository.advance_read_marker(session, chat_id=chat_id, user_id=user_id, index=index):
        _record_own_view(session, chat_id, user_id)
        return
    view = await _view(session, chat_id=chat_id, user_id=user_id)
    if index > view.chat.last_event_index:
        raise InvalidField("index", "The chat has no event with this index yet.")


# --- messages --------------------------------------------------------------------------------


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

    Statements: the key's claim, the index (chat lock), the participants, the event, the
    poster's read marker and their change-log entry, the key's result, then the commit; plus
    one for an attached file and one for a replied-to message. None grows with the chat.
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
        original = await repository.get_event(session, chat_id=chat_id, index=data.reply_to)
        if original is None or original.type != "message" or original.deleted_at is not None:
            raise InvalidField("reply_to", "Reply to a message of this chat.")

    claim = await _claim(session, chat_id=chat_id, user_id=user_id)
    body = data.body if data.body and data.body.strip() else None
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
    await repository.insert_event(session, event)
    await _read_own_event(session, claim, user_id)
    if record_id is not None:
        await repository.store_idempotent_result(session, record_id, str(claim.index))
    written = event_read(event, file_ref(backends.settings.public_url, stored))
    _announce(session, backends, written, user_ids=claim.members)
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
    scope = idempotency_scope(chat_id)
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
    record_id = await repository.claim_idempotency_key(
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
    stored = await repository.get_file(session, event.file_id)
    return record, event_read(event, file_ref(backends.settings.public_url, stored))


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
    if original.profile_id != claim.profile_id:
        raise Forbidden("Only the author can edit a message.")
    prior = await _prior_for_departed(session, original)
    await _read_own_event(session, claim, user_id)
    original.body = body
    original.edited_at = claim.now
    event = ChatEvent(
        chat_id=chat_id,
        index=claim.index,
        type="message_edited",
        profile_id=claim.profile_id,
        created_at=claim.now,
        body=body,
        target_index=original.index,
        prior=prior,
    )
    session.add(event)
    await session.flush()
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
    """The author or the chat's owner; the body and file are gone for good, edits included,
    except for participants who left after the message was posted: they keep seeing the chat
    as it was when they left (what they need is kept on the deletion event, never served to
    anyone else)."""
    claim = await _claim(session, chat_id=chat_id, user_id=user_id)
    original = await _live_message(session, chat_id=chat_id, index=index)
    if claim.profile_id not in (original.profile_id, claim.chat.owner_profile_id):
        raise Forbidden("Only the author or the chat's owner can delete a message.")
    prior = await _prior_for_departed(session, original)
    await _read_own_event(session, claim, user_id)
    edit_bodies = await repository.forget_edits(session, chat_id=chat_id, index=original.index)
    if prior is not None and edit_bodies:
        prior["edits"] = {str(edit_index): text for edit_index, text in edit_bodies.items()}
    original.body = None
    original.file_id = None
    original.deleted_at = claim.now
    event = ChatEvent(
        chat_id=chat_id,
        index=claim.index,
        type="message_deleted",
        profile_id=claim.profile_id,
        created_at=claim.now,
        target_index=original.index,
        prior=prior,
    )
    session.add(event)
    await session.flush()
    _announce(session, backends, event_read(event, None), user_ids=claim.members)


async def _read_own_event(session: AsyncSession, claim: Claim, user_id: uuid.UUID) -> None:
    """Writing an event means having read the chat up to it: the author's marker moves."""
    await repository.mark_read(
        session, chat_id=claim.chat_id, profile_id=claim.profile_id, index=claim.index
    )
    _record_own_view(session, claim.chat_id, user_id)


async def _prior_for_departed(session: AsyncSession, message: ChatEvent) -> dict[str, Any] | None:
    """The message as it is now, if a participant who left since it was posted will need it."""
    if not await repository.departed_since(session, chat_id=message.chat_id, index=message.index):
        return None
    return {
        "body": message.body,
        "file_id": str(message.file_id) if message.file_id else None,
        "edited_at": isoformat(message.edited_at) if message.edited_at else None,
    }


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

    A waiting request listens to the realtime hub *before* it reads, so nothing published
    after the read is missed, and holds no transaction while it waits. The events the hub
    hands over are returned as they are when they continue the page without a gap and name
    the caller among their recipients; otherwise (a gap, a departure, delivery interrupted)
    the page is read again. So a waiter costs the database nothing per event.
    """
    public_url = backends.settings.public_url
    if wait <= 0:
        return await _events_page(
            session, user_id=user_id, chat_id=chat_id, after=after, limit=limit, url=public_url
        )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    async with backends.events.watch(chat_id) as waiter:
        page = await _events_page(
            session, user_id=user_id, chat_id=chat_id, after=after, limit=limit, url=public_url
        )
        # No transaction while waiting (see end_read_only_transaction): it would hold SQLite's
        # write lock or pin a pooled PostgreSQL connection for up to 30 s.
        await end_read_only_transaction(session)
        while not page.events:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return page
            with suppress(TimeoutError):
                await asyncio.wait_for(waiter.woken.wait(), remaining)
            handed = _continuing(waiter.take(user_id), after=after, limit=limit)
            if handed is not None:
                if handed:
                    return EventsPage(events=handed, next_after=handed[-1].index)
                continue
            page = await _events_page(
                session, user_id=user_id, chat_id=chat_id, after=after, limit=limit, url=public_url
            )
            await end_read_only_transaction(session)
        return page


def _continuing(
    handed: list[dict[str, Any]] | None, *, after: int, limit: int
) -> list[EventRead] | None:
    """Handed-over events that continue a page ending at ``after`` without a gap ([] when none
    of them is new); None when they leave a gap (an earlier event's publish is late): then
    only the database knows the page."""
    if handed is None:
        return None
    events = sorted(
        (EventRead.model_validate(event) for event in handed if int(event["index"]) > after),
        key=lambda event: event.index,
    )
    expected = after + 1
    for event in events:
        if event.index != expected:
            return None
        expected += 1
    return events[:limit]


async def _events_page(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    after: int,
    limit: int,
    url: str,
) -> EventsPage:
    through = None
    if await repository.membership(session, chat_id=chat_id, user_id=user_id) is None:
        # Departed participants keep the history up to their departure, as it was then.
        through = await repository.departure_index(session, chat_id=chat_id, user_id=user_id)
        if through is None or after >= through:
            raise NotFound()
    rows = await repository.list_events(
        session, chat_id=chat_id, after=after, limit=limit, through=through
    )
    if through is not None:
        rows = await _as_of(session, chat_id=chat_id, rows=rows, horizon=through)
    events = [event_read(event, file_ref(url, stored)) for event, stored in rows]
    return EventsPage(events=events, next_after=events[-1].index if events else after)


async def _as_of(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    rows: list[tuple[ChatEvent, StoredFile | None]],
    horizon: int,
) -> list[tuple[ChatEvent, StoredFile | None]]:
    """The page as it was at event ``horizon``: a message edited or deleted later shows what
    the first such change kept of it (``prior``); an edit whose body a later deletion erased
    shows what that deletion kept. Detached copies: the session's rows stay as they are."""
    changed = {
        event.index if event.type == "message" else event.target_index
        for event, _ in rows
        if (event.type == "message" and (event.edited_at or event.deleted_at))
        or (event.type == "message_edited" and event.body is None)
    }
    later = await repository.changes_after(
        session, chat_id=chat_id, targets=sorted(i for i in changed if i), after=horizon
    )
    if not later:
        return rows
    kept_files = [
        uuid.UUID(changes[0].prior["file_id"])
        for changes in later.values()
        if changes[0].prior and changes[0].prior.get("file_id")
    ]
    files = await repository.files_by_id(session, kept_files)
    shown: list[tuple[ChatEvent, StoredFile | None]] = []
    for event, stored in rows:
        target = event.index if event.type == "message" else event.target_index
        changes = later.get(target) if target is not None else None
        if not changes:
            shown.append((event, stored))
            continue
        copy = _detached(event)
        if event.type == "message":
            prior = changes[0].prior or {}
            copy.body = prior.get("body")
            copy.file_id = uuid.UUID(prior["file_id"]) if prior.get("file_id") else None
            edited = prior.get("edited_at")
            copy.edited_at = datetime.fromisoformat(edited) if edited else None
            copy.deleted_at = None
            shown.append((copy, files.get(copy.file_id) if copy.file_id else None))
        else:
            deletion = changes[-1].prior if changes[-1].type == "message_deleted" else None
            copy.body = ((deletion or {}).get("edits") or {}).get(str(event.index))
            shown.append((copy, stored))
    return shown


def _detached(event: ChatEvent) -> ChatEvent:
    return ChatEvent(
        chat_id=event.chat_id,
        index=event.index,
        type=event.type,
        profile_id=event.profile_id,
        created_at=event.created_at,
        body=event.body,
        file_id=event.file_id,
        target_index=event.target_index,
        target_profile_id=event.target_profile_id,
        edited_at=event.edited_at,
        deleted_at=event.deleted_at,
    )


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
