from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.ids import new_id
from bca.core.time import utcnow

PENDING = "pending"
"""``Participant.request`` of an invitee who has not answered a message request."""
DECLINED = "declined"
"""``Participant.request`` of an invitee who declined: they left, silently."""


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    title: Mapped[str | None] = mapped_column(String(200))
    direct: Mapped[bool] = mapped_column(default=False)
    # "<smaller profile id>:<larger profile id>" for direct chats: the database makes the pair
    # unique, so concurrent creation of one direct chat cannot produce two.
    direct_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    owner_profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    # The counter row of the event index: incremented under the row lock of this chat inside
    # the writing transaction, so indexes are gapless and unique under concurrent writers.
    last_event_index: Mapped[int] = mapped_column(default=0)
    # Messages older than this many days are redacted by the worker (chat.apply_retention),
    # set by the owner; None keeps them (up to the server's BCA_CHAT_RETENTION_MAX_DAYS).
    retention_days: Mapped[int | None]
    last_event_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Participant(Base):
    __tablename__ = "chat_participants"
    __table_args__ = (Index("ix_chat_participants_user_id_left_at", "user_id", "left_at"),)

    chat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    muted: Mapped[bool] = mapped_column(default=False)
    last_read_index: Mapped[int] = mapped_column(default=0)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The first event of the participant's (current or last) membership: 1 for the chat's
    # founding members, the ``member_joined`` event of an invitation. They read from it on.
    joined_index: Mapped[int] = mapped_column(default=1, server_default="1")
    left_at: Mapped[datetime | None]
    # The index of the event by which the participant left or was kicked: they keep reading
    # the chat up to it, as it was then.
    left_index: Mapped[int | None]
    # A message request (``chat/requests.py``): ``pending`` while the invitee has not answered
    # an invitation from a profile they do not follow, ``declined`` once they turned it down
    # (they have left, silently: to everyone else they look as they did while pending);
    # None for a participant like any other.
    request: Mapped[str | None] = mapped_column(String(10))


class PastMembership(Base):
    """A membership that ended before its participant was invited back: the window of events
    ``joined_index..left_index`` they keep reading, as it was at ``left_index``. (The last one
    lives on the participant's row; these are the earlier ones, so that the time away stays
    invisible and what was seen stays readable.)"""

    __tablename__ = "chat_past_memberships"

    chat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    left_index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    joined_index: Mapped[int]


class ChatEvent(Base):
    __tablename__ = "chat_events"
    # Edits and deletions of one message, found without scanning the chat's history.
    __table_args__ = (Index("ix_chat_events_chat_id_target_index", "chat_id", "target_index"),)

    chat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(20))
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("files.id"))
    target_index: Mapped[int | None]
    target_profile_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("profiles.id"))
    # Set on a message that was edited or deleted later; a deleted message's body and file
    # are cleared so they can never be served again.
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # On an edit or deletion: the message as it was just before (``body``, ``file_id``,
    # ``edited_at``), which participants who had left by then still see. Never served otherwise.
    prior: Mapped[dict[str, Any] | None]
    # A link preview (``chat.previews``): on a message once the worker attached one, and on
    # its ``message_preview`` event. ``{url, title, description, site_name, image}``.
    preview: Mapped[dict[str, Any] | None]
    # On a message, written only when used (a plain post writes none of them): its reaction
    # counts ``{emoji: count}`` (``chat/reactions.py``), its thread's size and latest reply
    # (``chat/threads.py``), and, on a forwarded copy, the original's author and time
    # (``chat/forwarding.py``).
    reactions: Mapped[dict[str, Any] | None]
    reply_count: Mapped[int | None]
    last_reply_at: Mapped[datetime | None]
    forwarded: Mapped[dict[str, Any] | None]


class IdempotencyRecord(Base):
    """The first result of a retried message post, keyed by (user, chat, client key)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    scope: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the request: the same key with another request is refused, not replayed.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ScheduledMessage(Base):
    """A message to be posted at ``send_at`` by the worker (``chat.scheduled``), once: it is
    ``scheduled`` until then, ``sent`` (with the index it got) or ``cancelled`` (with why)."""

    __tablename__ = "chat_scheduled_messages"
    # The worker's sweep: what is due, oldest first; a user's list: theirs, by time.
    __table_args__ = (
        Index("ix_chat_scheduled_messages_status_send_at", "status", "send_at"),
        Index("ix_chat_scheduled_messages_user_id_send_at", "user_id", "send_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    chat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chats.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    body: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("files.id"))
    reply_to: Mapped[int | None]
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    cancel_reason: Mapped[str | None] = mapped_column(String(40))
    sent_index: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reaction(Base):
    """One person's emoji on one message (one per person per emoji). Personal data: found and
    removed by ``profile_id`` (indexed) or ``user_id``."""

    __tablename__ = "chat_reactions"
    __table_args__ = (
        Index("ix_chat_reactions_profile_id", "profile_id"),
        Index("ix_chat_reactions_user_id", "user_id"),
    )

    chat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    message_index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mention(Base):
    """A participant ``@``-mentioned in a message: their unread-mention count, their recent
    mentions, and a push even when they muted the chat."""

    __tablename__ = "chat_mentions"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_index", "profile_id"),
        Index("ix_chat_mentions_user_id_created_at", "user_id", "created_at"),
        Index(
            "ix_chat_mentions_user_id_chat_id_message_index", "user_id", "chat_id", "message_index"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    chat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chats.id"))
    message_index: Mapped[int]
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pin(Base):
    """A pinned message of a chat, and who pinned it (personal data: found by ``profile_id``)."""

    __tablename__ = "chat_pins"
    __table_args__ = (Index("ix_chat_pins_profile_id", "profile_id"),)

    chat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    message_index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    pinned_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatRequest(Base):
    """Who asked whom into a chat, and when: the request's "who" for the invitee, and the rows
    the daily limit of requests per inviting profile counts (``chat/requests.py``). Its state
    lives on the invitee's participant row. Personal data of both profiles."""

    __tablename__ = "chat_requests"
    __table_args__ = (
        Index("ix_chat_requests_inviter_profile_id_created_at", "inviter_profile_id", "created_at"),
        Index("ix_chat_requests_user_id", "user_id"),
    )

    chat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    inviter_profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
