"""Message requests: a chat started by a profile the invitee does not follow (or an invitation
into a group from one) arrives as a request.

Who may be invited: never across a block (403 ``blocked``); a profile that follows the
inviter joins as a participant like any other. Anyone else becomes a request, if their
profile allows it (``Profile.message_requests``: ``everyone``, ``verified_work`` — the
inviter holds a card with a verified, unexpired work email — or ``nobody``) and the inviter
sees it in full (a private profile takes requests only from its accepted followers);
otherwise 403 ``not_invitable``. An inviting profile makes at most
``BCA_CHAT_REQUESTS_PER_DAY`` requests in 24 hours (429 ``rate_limited``), counted from the
``chat_requests`` rows, so the limit holds across instances.

While pending, the invitee sees the chat in their requests (not in their chats), gets one
quiet notice and no push for its messages, and nothing they do (reading included) shows to
anyone else. Accept makes them a participant like any other; decline makes them leave
silently: to everyone else they look as they did while pending (no event, still counted and
listed, a second invitation still a 409). Block is decline and a block of the inviter.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.backends import Backends
from bca.backends.tasks import enqueue_after_commit
from bca.chat import repository
from bca.chat.errors import Blocked, NotInvitable
from bca.chat.models import DECLINED, PENDING, Chat, ChatRequest, Participant
from bca.chat.schemas import ChatRead, ChatRequestRead, EventRead
from bca.chat.sync import record_chat_change
from bca.core.errors import NotFound, RateLimited
from bca.core.time import utcnow
from bca.profiles import service as profiles_service
from bca.profiles.errors import Blocked as ProfileBlocked
from bca.profiles.errors import ProfileNotFound
from bca.profiles.models import Profile

REQUEST_WINDOW = timedelta(days=1)
EVERYONE, VERIFIED_WORK, NOBODY = "everyone", "verified_work", "nobody"


async def invitations(
    session: AsyncSession, backends: Backends, inviter: uuid.UUID, profiles: Sequence[Profile]
) -> set[uuid.UUID]:
    """Check that the inviter may invite ``profiles``; returns those whose invitation is a
    request. Raises ``Blocked``, ``NotInvitable`` or ``RateLimited``."""
    relations = await profiles_service.relations_between(
        session, inviter, [profile.id for profile in profiles]
    )
    if any(relation.status == "block" for relation in relations):
        raise Blocked()
    following_me = {
        relation.profile_id
        for relation in relations
        if relation.target_id == inviter and relation.status == "follow"
    }
    followed = {
        relation.target_id
        for relation in relations
        if relation.profile_id == inviter and relation.status == "follow"
    }
    requests = {profile.id for profile in profiles if profile.id not in following_me}
    verified_work: bool | None = None
    for profile in profiles:
        if profile.id not in requests:
            continue
        if profile.private and profile.id not in followed:
            raise NotInvitable()
        if profile.message_requests == NOBODY:
            raise NotInvitable()
        if profile.message_requests == VERIFIED_WORK:
            if verified_work is None:
                verified_work = await has_verified_work_email(session, inviter)
            if not verified_work:
                raise NotInvitable()
    if requests:
        await _within_daily_limit(
            session, inviter, count=len(requests), limit=backends.settings.chat_requests_per_day
        )
    return requests


async def has_verified_work_email(session: AsyncSession, profile_id: uuid.UUID) -> bool:
    """The profile holds a live card with a verified work email that has not expired."""
    now = utcnow()
    return any(
        entry.get("work") and datetime.fromisoformat(entry["expires_at"]) > now
        for entry in await repository.verified_emails_of(session, profile_id)
    )


async def _within_daily_limit(
    session: AsyncSession, inviter: uuid.UUID, *, count: int, limit: int
) -> None:
    """``count`` more requests keep the inviter within ``limit`` in 24 hours, or 429 with the
    time until enough of the earlier ones fall out of the window."""
    await repository.lock_profile(session, inviter)
    now = utcnow()
    made = await repository.requests_since(
        session, inviter_profile_id=inviter, since=now - REQUEST_WINDOW
    )
    excess = len(made) + count - limit
    if excess <= 0:
        return
    if excess > len(made):
        raise RateLimited(int(REQUEST_WINDOW.total_seconds()))
    frees_at = made[excess - 1] + REQUEST_WINDOW
    raise RateLimited(int((frees_at - now).total_seconds()) + 1)


async def make_request(
    session: AsyncSession,
    backends: Backends,
    *,
    chat: Chat,
    participant: Participant,
    inviter: uuid.UUID,
) -> None:
    """Mark a new participant's membership as a request by ``inviter``, and notify them once,
    quietly, after the commit."""
    participant.request = PENDING
    earlier = await repository.chat_request(
        session, chat_id=chat.id, profile_id=participant.profile_id
    )
    if earlier is None:
        session.add(
            ChatRequest(
                chat_id=chat.id,
                profile_id=participant.profile_id,
                user_id=participant.user_id,
                inviter_profile_id=inviter,
            )
        )
    else:
        # Asked into this chat again (after leaving it): the newer request is the one.
        earlier.inviter_profile_id = inviter
        earlier.created_at = utcnow()
    if backends.push.enabled or backends.web_push.enabled:
        enqueue_after_commit(
            session,
            backends.tasks,
            "chat.send_request_notice",
            chat_id=str(chat.id),
            profile_id=str(participant.profile_id),
        )


async def list_requests(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    public_url: str,
) -> list[ChatRequestRead]:
    views = await repository.list_chats(
        session, user_id=user_id, before=before, limit=limit, requests=True
    )
    return [await _request_read(session, view, public_url) for view in views]


async def get_request(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID, public_url: str
) -> ChatRequestRead:
    view = await _pending_view(session, user_id=user_id, chat_id=chat_id)
    return await _request_read(session, view, public_url)


async def _pending_view(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID
) -> repository.ChatView:
    view = await repository.chat_view(session, chat_id=chat_id, user_id=user_id)
    if view is None or view.participant.request != PENDING:
        raise NotFound()
    return view


async def _request_read(
    session: AsyncSession, view: repository.ChatView, public_url: str
) -> ChatRequestRead:
    me = view.participant
    asked = await repository.chat_request(session, chat_id=me.chat_id, profile_id=me.profile_id)
    inviter = asked.inviter_profile_id if asked else None
    first = await repository.first_message_since(session, chat_id=me.chat_id, index=me.joined_index)
    return ChatRequestRead(
        chat=ChatRead.from_view(view, public_url),
        inviter_profile_id=inviter,
        inviter_verified_work=bool(inviter and await has_verified_work_email(session, inviter)),
        first_message=None if first is None else EventRead.from_row(first, None),
        requested_at=asked.created_at if asked else me.joined_at,
    )


async def accept(
    session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID, public_url: str
) -> ChatRead:
    """The invitee becomes a participant like any other; nobody else learns of it."""
    await repository.lock_chat(session, chat_id)
    view = await _pending_view(session, user_id=user_id, chat_id=chat_id)
    view.participant.request = None
    await session.flush()
    await _tell_the_invitee(session, chat_id, user_id)
    return ChatRead.from_view(view, public_url)


async def decline(session: AsyncSession, *, user_id: uuid.UUID, chat_id: uuid.UUID) -> Participant:
    """The invitee leaves, silently: no event; to the others they stay as they were."""
    chat = await repository.lock_chat(session, chat_id)
    view = await _pending_view(session, user_id=user_id, chat_id=chat_id)
    if chat is None:
        raise NotFound()
    await leave_silently(session, chat, view.participant)
    return view.participant


async def leave_silently(session: AsyncSession, chat: Chat, participant: Participant) -> None:
    participant.request = DECLINED
    participant.left_at = utcnow()
    # They keep what they saw of it (as anyone who leaves), nothing after.
    participant.left_index = chat.last_event_index
    await session.flush()
    await _tell_the_invitee(session, chat.id, participant.user_id)


async def block(session: AsyncSession, *, user: User, chat_id: uuid.UUID) -> None:
    """Decline, and block the inviting profile from the invited one."""
    declined = await decline(session, user_id=user.id, chat_id=chat_id)
    asked = await repository.chat_request(session, chat_id=chat_id, profile_id=declined.profile_id)
    if asked is None:
        return
    try:
        await profiles_service.set_relation(
            session,
            user=user,
            my_profile_id=declined.profile_id,
            target_id=asked.inviter_profile_id,
            status="block",
        )
    except (ProfileNotFound, ProfileBlocked):
        # The inviter is gone, or blocks them already: declining was all there was to do.
        return


async def _tell_the_invitee(session: AsyncSession, chat_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The invitee's offline copy changes (the chat's mark, or the chat leaves it); no one
    else's does."""
    await record_chat_change(session, chat_id, only=user_id)
