"""What a push notification needs, read in one statement: of a new message (``chat.send_push``)
and of a message request (``chat.send_request_notice``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bca.accounts.models import AuthSession, User
from bca.chat.event_log import MESSAGE
from bca.chat.models import PENDING, Chat, ChatEvent, ChatRequest, Mention, Participant
from bca.core.time import utcnow
from bca.profiles.models import Profile, Relation
from bca.profiles.visibility import alive
from bca.webpush.models import WebPushSubscription


@dataclass(frozen=True)
class PushTarget:
    session_id: uuid.UUID
    token: str


@dataclass(frozen=True)
class WebPushTarget:
    subscription_id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str
    previews: bool


@dataclass(frozen=True)
class PushDelivery:
    """A message to notify of, and the devices to notify."""

    body: str | None
    sender_profile_id: uuid.UUID
    sender_name: str
    chat_title: str | None
    direct: bool
    targets: list[PushTarget]
    web_targets: list[WebPushTarget]


def _reachable_devices() -> tuple[ColumnElement[bool], ...]:
    """A device push can reach: a live session of an active account, with an FCM token or a
    Web Push subscription (the rows join ``AuthSession``, ``User`` and ``WebPushSubscription``)."""
    return (
        or_(AuthSession.push_token.is_not(None), WebPushSubscription.id.is_not(None)),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > utcnow(),
        User.deactivated_at.is_(None),
        User.locked.is_(False),
    )


async def push_delivery(
    session: AsyncSession,
    *,
    chat_id: uuid.UUID,
    index: int,
    mentioned_only: list[uuid.UUID] | None = None,
) -> PushDelivery | None:
    """In one statement: a message that still exists from a live sender, and every live
    session with a push token or a Web Push subscription of every active participant except
    the sender, those who muted the chat (unless the message mentions them) and those who
    block the sender. With ``mentioned_only`` (an edit's new mentions): only those profiles,
    and only while the message mentions them. None when there is nobody to notify."""
    sender = aliased(Profile)
    blocks_sender = exists().where(
        Relation.profile_id == Participant.profile_id,
        Relation.target_id == ChatEvent.profile_id,
        Relation.status == "block",
    )
    # A mention reaches a participant who muted the chat (never from a profile they block).
    mentioned = exists().where(
        Mention.chat_id == ChatEvent.chat_id,
        Mention.message_index == ChatEvent.index,
        Mention.profile_id == Participant.profile_id,
    )
    query = (
        select(
            ChatEvent.body,
            ChatEvent.profile_id,
            sender.name,
            Chat.title,
            Chat.direct,
            AuthSession.id,
            AuthSession.push_token,
            WebPushSubscription.id,
            WebPushSubscription.endpoint,
            WebPushSubscription.p256dh,
            WebPushSubscription.auth,
            WebPushSubscription.previews,
        )
        .join(Chat, Chat.id == ChatEvent.chat_id)
        .join(sender, sender.id == ChatEvent.profile_id)
        .join(Participant, Participant.chat_id == ChatEvent.chat_id)
        .join(AuthSession, AuthSession.user_id == Participant.user_id)
        .join(User, User.id == Participant.user_id)
        .outerjoin(WebPushSubscription, WebPushSubscription.session_id == AuthSession.id)
        .where(
            ChatEvent.chat_id == chat_id,
            ChatEvent.index == index,
            ChatEvent.type == MESSAGE,
            ChatEvent.deleted_at.is_(None),
            alive(sender),
            Participant.left_at.is_(None),
            # A message request is notified once, quietly (``chat.send_request_notice``);
            # nothing more until it is accepted.
            Participant.request.is_(None),
            or_(Participant.muted.is_(False), mentioned),
            Participant.profile_id != ChatEvent.profile_id,
            Participant.user_id != sender.user_id,
            ~blocks_sender,
            *_reachable_devices(),
        )
        .order_by(AuthSession.id)
    )
    if mentioned_only is not None:
        query = query.where(Participant.profile_id.in_(mentioned_only), mentioned)
    rows = (await session.execute(query)).all()
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
        web_targets=[
            WebPushTarget(row[7], row[8], row[9], row[10], row[11])
            for row in rows
            if row[7] is not None
        ],
    )


@dataclass(frozen=True)
class RequestNotice:
    """A message request to notify its invitee of, once and quietly, and their devices."""

    inviter_profile_id: uuid.UUID
    inviter_name: str
    targets: list[PushTarget]
    web_targets: list[WebPushTarget]


async def request_notice(
    session: AsyncSession, *, chat_id: uuid.UUID, profile_id: uuid.UUID
) -> RequestNotice | None:
    """In one statement: a request still pending, from a live inviter the invitee does not
    block, and every live session of the invitee with a push token or a Web Push
    subscription. None when there is nobody to notify."""
    inviter = aliased(Profile)
    blocks_inviter = exists().where(
        Relation.profile_id == Participant.profile_id,
        Relation.target_id == ChatRequest.inviter_profile_id,
        Relation.status == "block",
    )
    rows = (
        await session.execute(
            select(
                inviter.id,
                inviter.name,
                AuthSession.id,
                AuthSession.push_token,
                WebPushSubscription.id,
                WebPushSubscription.endpoint,
                WebPushSubscription.p256dh,
                WebPushSubscription.auth,
                WebPushSubscription.previews,
            )
            .select_from(ChatRequest)
            .join(
                Participant,
                (Participant.chat_id == ChatRequest.chat_id)
                & (Participant.profile_id == ChatRequest.profile_id),
            )
            .join(inviter, inviter.id == ChatRequest.inviter_profile_id)
            .join(AuthSession, AuthSession.user_id == Participant.user_id)
            .join(User, User.id == Participant.user_id)
            .outerjoin(WebPushSubscription, WebPushSubscription.session_id == AuthSession.id)
            .where(
                ChatRequest.chat_id == chat_id,
                ChatRequest.profile_id == profile_id,
                Participant.request == PENDING,
                Participant.left_at.is_(None),
                alive(inviter),
                ~blocks_inviter,
                *_reachable_devices(),
            )
            .order_by(AuthSession.id)
        )
    ).all()
    if not rows:
        return None
    return RequestNotice(
        inviter_profile_id=rows[0][0],
        inviter_name=rows[0][1],
        targets=[PushTarget(row[2], row[3]) for row in rows if row[3]],
        web_targets=[
            WebPushTarget(row[4], row[5], row[6], row[7], row[8])
            for row in rows
            if row[4] is not None
        ],
    )
