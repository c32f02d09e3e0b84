"""Chats and their participants: creating, listing, renaming, muting, inviting, leaving,
kicking, and each participant's read marker."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.chat import event_log, repository, requests
from bca.chat.errors import AlreadyParticipant, InvalidField
from bca.chat.models import DECLINED, PENDING, Chat, Participant, PastMembership
from bca.chat.repository import ChatView
from bca.chat.schemas import (
    ChatCreate,
    ChatRead,
    ChatUpdate,
    EventRead,
)
from bca.chat.sync import record_chat_change
from bca.core.errors import Conflict, Forbidden, NotFound
from bca.core.time import utcnow
from bca.profiles import service as profiles_service


def direct_key(one: uuid.UUID, other: uuid.UUID) -> str:
    low, high = sorted((str(one), str(other)))
    return f"{low}:{high}"


async def _view_of(session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID) -> ChatView:
    view = await repository.chat_view(session, chat_id=chat_id, user_id=user_id)
    if view is None:
        raise NotFound()
    return view


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
        existing = await _existing_direct(
            session, key=key, user_id=user_id, public_url=backends.settings.public_url
        )
        if existing is not None:
            return existing, False
    asked = await requests.invitations(
        session, backends, me.id, [profiles[profile_id] for profile_id in invited]
    )

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
        existing = (
            await _existing_direct(
                session, key=key, user_id=user_id, public_url=backends.settings.public_url
            )
            if key
            else None
        )
        if existing is None:
            raise Conflict() from None
        return existing, False

    members = [me, *(profiles[profile_id] for profile_id in invited)]
    user_ids = sorted({profile.user_id for profile in members})
    joined = []
    for profile in members:
        event = EventRead.from_values(
            await event_log.write_chat_event(
                session,
                chat,
                type="member_joined",
                profile_id=me.id,
                target_profile_id=profile.id,
                reader=None,
            ),
            None,
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
        event_log.announce(session, backends, event, user_ids=user_ids)
    for participant in joined:
        # Nobody has anything to catch up on in a chat that was just created.
        participant.last_read_index = chat.last_event_index
        if participant.profile_id in asked:
            await requests.make_request(
                session, backends, chat=chat, participant=participant, inviter=me.id
            )
    session.add_all(joined)
    await session.flush()
    await record_chat_change(session, chat.id)
    view = await _view_of(session, chat_id=chat.id, user_id=user_id)
    return ChatRead.from_view(view, backends.settings.public_url), True


async def _existing_direct(
    session: AsyncSession, *, key: str, user_id: uuid.UUID, public_url: str
) -> ChatRead | None:
    chat = await repository.find_direct_chat(session, key)
    if chat is None:
        return None
    view = await repository.chat_view(session, chat_id=chat.id, user_id=user_id)
    return ChatRead.from_view(view, public_url) if view else None


async def list_chats(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    public_url: str,
) -> list[ChatRead]:
    views = await repository.list_chats(session, user_id=user_id, before=before, limit=limit)
    return [ChatRead.from_view(view, public_url) for view in views]


async def get_chat(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID, public_url: str
) -> ChatRead:
    return ChatRead.from_view(await _view_of(session, chat_id=chat_id, user_id=user_id), public_url)


async def update_chat(
    session: AsyncSession,
    backends: Backends,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    data: ChatUpdate,
) -> ChatRead:
    """Rename (owner of a group chat), set the retention (owner) and mute (anyone, for
    themselves)."""
    fields = data.model_fields_set
    chat, me = await _locked_membership(session, chat_id=chat_id, user_id=user_id)
    if "title" in fields:
        if chat.direct or chat.owner_profile_id != me.profile_id:
            raise Forbidden("Only the owner of a group chat can rename it.")
        if data.title != chat.title:
            chat.title = data.title
            event = await _write_chat_updated(session, chat, by=me, user_id=user_id)
            await session.flush()
            await _tell_members(session, backends, chat.id, event)
    if "retention_days" in fields:
        set_retention(
            chat, me, days=data.retention_days, server_max=backends.settings.chat_retention_max_days
        )
        await session.flush()
    if data.muted is not None and data.muted != me.muted:
        me.muted = data.muted
        await session.flush()
        event_log.record_own_view(session, chat.id, user_id)
    view = await _view_of(session, chat_id=chat.id, user_id=user_id)
    return ChatRead.from_view(view, backends.settings.public_url)


def set_retention(chat: Chat, me: Participant, *, days: int | None, server_max: int | None) -> None:
    """The owner keeps messages ``days`` long (None: as long as the server does); more than
    the server's maximum is refused (422)."""
    if chat.owner_profile_id != me.profile_id:
        raise Forbidden("Only the owner of a chat sets how long its messages are kept.")
    if days is not None and server_max is not None and days > server_max:
        raise InvalidField(
            "retention_days", f"This server keeps messages at most {server_max} days."
        )
    chat.retention_days = days


async def list_participants(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[Chat, list[Participant]]:
    view = await _view_of(session, chat_id=chat_id, user_id=user_id)
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
    participant = await repository.get_participant(session, chat_id=chat.id, profile_id=target.id)
    if participant is not None and participant.request == DECLINED:
        # To the others, one who declined is still there, as while the request was pending.
        raise AlreadyParticipant()
    asked = await requests.invitations(session, backends, me.profile_id, [target])
    event = await _write(
        session,
        chat,
        type="member_joined",
        by=me,
        user_id=user_id,
        target_profile_id=target.id,
    )
    if participant is None:
        participant = Participant(chat_id=chat.id, profile_id=target.id, user_id=target.user_id)
        session.add(participant)
    elif participant.left_index is not None:
        # Invited back: the earlier membership stays readable as it was; the time away does
        # not become visible (a participant reads only within their memberships).
        session.add(
            PastMembership(
                chat_id=chat.id,
                user_id=participant.user_id,
                profile_id=participant.profile_id,
                joined_index=participant.joined_index,
                left_index=participant.left_index,
            )
        )
    participant.left_at = None
    participant.left_index = None
    participant.joined_at = event.created_at
    participant.joined_index = event.index
    # What happened before the join is history, not unread news.
    participant.last_read_index = event.index
    participant.request = None
    if asked:
        await requests.make_request(
            session, backends, chat=chat, participant=participant, inviter=me.profile_id
        )
    await session.flush()
    return await _tell_members(session, backends, chat.id, event)


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
    if profile_id == me.profile_id and me.request == PENDING:
        # Leaving a request unanswered is declining it: nobody else learns of it.
        await requests.leave_silently(session, chat, me)
        return
    if chat.direct:
        raise Forbidden("Nobody leaves a direct chat; mute it instead.")
    if profile_id == me.profile_id:
        target, kind = me, "member_left"
    else:
        if chat.owner_profile_id != me.profile_id:
            raise Forbidden("Only the owner can remove others from the chat.")
        found = await repository.get_participant(session, chat_id=chat.id, profile_id=profile_id)
        if found is None or (found.left_at is not None and found.request != DECLINED):
            raise NotFound()
        target, kind = found, "member_kicked"
    event = await _write(
        session, chat, type=kind, by=me, user_id=user_id, target_profile_id=target.profile_id
    )
    if target.request == DECLINED:
        # Kicked after declining, unknown to the owner: gone for everyone now, and what
        # they may read still ends where they declined.
        target.request = None
    else:
        target.left_at = event.created_at
        target.left_index = event.index
    await session.flush()
    events = [event]
    if chat.owner_profile_id == target.profile_id:
        remaining = await repository.active_participants(session, chat.id)
        if remaining:
            # The longest-standing participant inherits the chat.
            chat.owner_profile_id = remaining[0].profile_id
            events.append(await _write_chat_updated(session, chat, by=me, user_id=user_id))
            await session.flush()
    members = await repository.member_user_ids(session, chat.id)
    for written in events:
        event_log.announce(
            session,
            backends,
            written,
            user_ids=members,
            departed_user_id=target.user_id if written is event else None,
        )
    await record_chat_change(session, chat.id, also=[target.user_id])


async def _write(
    session: AsyncSession,
    chat: Chat,
    *,
    type: str,
    by: Participant,
    user_id: uuid.UUID,
    body: str | None = None,
    target_profile_id: uuid.UUID | None = None,
) -> EventRead:
    """A membership or chat event by the caller (who has read the chat up to it), the chat
    locked already."""
    row = await event_log.write_chat_event(
        session,
        chat,
        type=type,
        profile_id=by.profile_id,
        reader=user_id,
        body=body,
        target_profile_id=target_profile_id,
    )
    return EventRead.from_values(row, None)


async def _write_chat_updated(
    session: AsyncSession, chat: Chat, *, by: Participant, user_id: uuid.UUID
) -> EventRead:
    """A renamed chat, or one with a new owner: the event tells the title and owner now."""
    return await _write(
        session,
        chat,
        type="chat_updated",
        by=by,
        user_id=user_id,
        body=chat.title,
        target_profile_id=chat.owner_profile_id,
    )


async def _tell_members(
    session: AsyncSession, backends: Backends, chat_id: uuid.UUID, event: EventRead
) -> EventRead:
    """Announce one membership or chat event to the current members, after commit."""
    members = await repository.member_user_ids(session, chat_id)
    event_log.announce(session, backends, event, user_ids=members)
    await record_chat_change(session, chat_id)
    return event


async def mark_read(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID, index: int
) -> None:
    """One statement on the common path; the reasons for a marker that did not move (not a
    participant, an event that does not exist yet, or already read) are looked up only then."""
    if await event_log.read_up_to(session, chat_id=chat_id, user_id=user_id, index=index):
        event_log.record_own_view(session, chat_id, user_id)
        return
    view = await _view_of(session, chat_id=chat_id, user_id=user_id)
    if index > view.chat.last_event_index:
        raise InvalidField("index", "The chat has no event with this index yet.")
