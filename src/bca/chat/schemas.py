from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bca.chat.models import PENDING, Chat, ChatEvent, Participant
from bca.core.text import NOT_BLANK
from bca.files.models import StoredFile
from bca.files.urls import file_url

if TYPE_CHECKING:
    from bca.chat.repository import ChatView

MAX_BODY = 8000
MAX_PARTICIPANTS = 200
MAX_EVENTS_PAGE = 500
MAX_WAIT_SECONDS = 30.0
MAX_INDEX = 2**31 - 1
"""Event indexes are 32-bit integers in the database; larger ones cannot name an event."""

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK)
]
Body = Annotated[str, Field(max_length=MAX_BODY)]

EventType = Literal[
    "member_joined",
    "member_left",
    "member_kicked",
    "message",
    "message_edited",
    "message_deleted",
    "message_preview",
    "chat_updated",
    "reaction_added",
    "reaction_removed",
    "message_pinned",
    "message_unpinned",
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatCreate(Input):
    profile_id: uuid.UUID
    participant_ids: Annotated[list[uuid.UUID], Field(max_length=MAX_PARTICIPANTS)] = []
    title: Title | None = None
    direct: bool = False

    @model_validator(mode="after")
    def _direct_shape(self) -> Self:
        if self.direct and len(set(self.participant_ids)) != 1:
            raise ValueError("A direct chat has exactly one other participant.")
        if self.direct and self.title is not None:
            raise ValueError("A direct chat has no title.")
        return self


RetentionDays = Annotated[int, Field(ge=1, le=3650)]
"""1 day to 10 years."""


class ChatUpdate(Input):
    """``title: null`` clears the title; a field left out stays as it is."""

    title: Title | None = None
    muted: bool | None = None
    retention_days: RetentionDays | None = None
    """The owner's: messages older than this many days are redacted (body and file removed,
    the event kept); ``null`` keeps them (up to the server's maximum)."""


class ParticipantAdd(Input):
    profile_id: uuid.UUID


class MessageCreate(Input):
    """A body that is not blank, a file, or both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["body"],
                    "properties": {"body": {"type": "string", "pattern": NOT_BLANK}},
                },
                {"required": ["file_id"], "properties": {"file_id": {"type": "string"}}},
            ]
        },
    )

    body: Body | None = None
    file_id: uuid.UUID | None = None
    reply_to: Annotated[int, Field(ge=1, le=MAX_INDEX)] | None = None
    send_at: datetime | None = Field(
        default=None,
        description="Send it later: a time with its offset, in the future, at most a year"
        " ahead (202 with the scheduled message; the server posts it then).",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.file_id is None and (self.body is None or not self.body.strip()):
            raise ValueError("A message needs a body or a file.")
        return self


class MessageEdit(Input):
    body: Annotated[str, Field(max_length=MAX_BODY, pattern=NOT_BLANK)]

    @model_validator(mode="after")
    def _not_blank(self) -> Self:
        if not self.body.strip():
            raise ValueError("The body must not be empty.")
        return self


class ReadMarker(Input):
    index: Annotated[int, Field(ge=0, le=MAX_INDEX)]


class FileRef(BaseModel):
    id: uuid.UUID
    content_type: str
    size: int
    url: str

    @classmethod
    def from_row(cls, public_url: str, stored: StoredFile | None) -> FileRef | None:
        if stored is None:
            return None
        return cls(
            id=stored.id,
            content_type=stored.content_type,
            size=stored.size,
            url=file_url(public_url, stored.id),
        )


class LinkPreview(BaseModel):
    """The preview of a message's first ``http(s)`` link: from the page's OpenGraph tags, else
    its ``<title>`` and meta description; ``image`` is our own copy of the page's image."""

    url: str
    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    image: str | None = None


class ReactionCount(BaseModel):
    emoji: str
    count: int
    mine: bool = Field(
        default=False,
        description="Whether I reacted so (on a page read; false on a reaction event).",
    )


def reaction_counts(counts: Mapping[str, Any] | None) -> list[ReactionCount] | None:
    """A message's ``{emoji: count}`` as a list, most used first (None: no reaction ever)."""
    if counts is None:
        return None
    ordered = sorted(
        ((int(n), emoji) for emoji, n in counts.items() if int(n) > 0),
        key=lambda item: (-item[0], item[1]),
    )
    return [ReactionCount(emoji=emoji, count=n) for n, emoji in ordered]


class ForwardOrigin(BaseModel):
    """Where a forwarded message comes from: the original's author and time (not its chat,
    which the copy's readers may not know of)."""

    profile_id: uuid.UUID
    created_at: datetime


class EventRead(BaseModel):
    chat_id: uuid.UUID
    index: int
    type: EventType
    profile_id: uuid.UUID
    created_at: datetime
    body: str | None = None
    file: FileRef | None = None
    target_index: int | None = None
    target_profile_id: uuid.UUID | None = None
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    preview: LinkPreview | None = Field(
        default=None,
        description="A message's link preview, once attached; a `message_preview` event's too.",
    )
    reactions: list[ReactionCount] | None = Field(
        default=None,
        description=(
            "On a message: its reactions; on `reaction_added`/`reaction_removed`: the target"
            " message's reactions after the change. Left out when there are none."
        ),
    )
    reply_count: int | None = Field(
        default=None, description="On a message that has replies: how many (its thread)."
    )
    last_reply_at: datetime | None = Field(
        default=None, description="On a message that has replies: the latest reply's time."
    )
    forwarded: ForwardOrigin | None = Field(
        default=None, description="On a forwarded message: the original's author and time."
    )

    @classmethod
    def from_values(cls, row: Mapping[str, Any], file: FileRef | None) -> EventRead:
        """An event as the database returned it on writing it (``INSERT ... RETURNING``)."""
        return cls(
            chat_id=row["chat_id"],
            index=row["index"],
            type=row["type"],  # pydantic checks it is one of EventType
            profile_id=row["profile_id"],
            created_at=row["created_at"],
            body=row["body"],
            file=file if file is not None and row["file_id"] == file.id else None,
            target_index=row["target_index"],
            target_profile_id=row["target_profile_id"],
            edited_at=row["edited_at"],
            deleted_at=row["deleted_at"],
            preview=row.get("preview"),
            reactions=reaction_counts(row.get("reactions")),
            reply_count=row.get("reply_count"),
            last_reply_at=row.get("last_reply_at"),
            forwarded=_origin(row.get("forwarded")),
        )

    @classmethod
    def from_row(cls, event: ChatEvent, file: FileRef | None) -> EventRead:
        """An event read as a row of the session."""
        return cls(
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
            preview=event.preview,  # pydantic validates the stored dict
            reactions=reaction_counts(event.reactions),
            reply_count=event.reply_count,
            last_reply_at=event.last_reply_at,
            forwarded=_origin(event.forwarded),
        )


def _origin(value: Mapping[str, Any] | None) -> ForwardOrigin | None:
    return None if value is None else ForwardOrigin.model_validate(value)


class EventsPage(BaseModel):
    events: list[EventRead]
    next_after: int


class ChatRead(BaseModel):
    id: uuid.UUID
    title: str | None
    direct: bool
    owner_profile_id: uuid.UUID
    my_profile_id: uuid.UUID
    participant_count: int
    last_event_index: int
    last_event_at: datetime
    unread_count: int = Field(
        description="Messages of others after my read marker, not deleted (up to 1,000);"
        " reactions, pins, previews, edits and membership changes are not counted."
    )
    read_index: int
    muted: bool
    created_at: datetime
    retention_days: int | None = Field(
        default=None, description="Messages older than this many days are redacted (the owner's)."
    )
    last_event: EventRead | None = Field(
        default=None, description="The chat's newest event (the list's last message)."
    )
    unread_mentions: int = Field(
        default=0, description="Unread messages that mention my profile (`<@profile_id>`)."
    )
    request: bool = Field(
        default=False,
        description="A message request I have not answered yet (`/v1/chat-requests`): the "
        "chat is in my requests, not in my chats.",
    )

    @classmethod
    def from_view(cls, view: ChatView, public_url: str) -> ChatRead:
        chat, me = view.chat, view.participant
        last_event = view.last_event
        return cls(
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
            retention_days=chat.retention_days,
            created_at=chat.created_at,
            last_event=None
            if last_event is None
            else EventRead.from_row(last_event, FileRef.from_row(public_url, view.last_file)),
            unread_mentions=view.unread_mentions,
            request=me.request == PENDING,
        )


class ChatEntry(BaseModel):
    """A chat as offline sync holds it: what changes rarely. Its activity (last index, unread
    count) travels with the events."""

    id: uuid.UUID
    title: str | None
    direct: bool
    owner_profile_id: uuid.UUID
    my_profile_id: uuid.UUID
    participant_count: int
    muted: bool
    read_index: int
    created_at: datetime
    request: bool = Field(description="A message request I have not answered yet.")

    @classmethod
    def from_row(cls, chat: Chat, me: Participant, participant_count: int) -> ChatEntry:
        return cls(
            id=chat.id,
            title=chat.title,
            direct=chat.direct,
            owner_profile_id=chat.owner_profile_id,
            my_profile_id=me.profile_id,
            participant_count=participant_count,
            muted=me.muted,
            read_index=me.last_read_index,
            created_at=chat.created_at,
            request=me.request == PENDING,
        )


class ChatRequestRead(BaseModel):
    """A message request as its invitee sees it: the chat, who asked, and their first
    message."""

    chat: ChatRead
    inviter_profile_id: uuid.UUID | None = Field(
        description="Who asked (null once their profile is gone)."
    )
    inviter_verified_work: bool = Field(
        description="The inviter holds a card with a verified, unexpired work email."
    )
    first_message: EventRead | None = Field(
        description="The first message since the invitation, if any yet."
    )
    requested_at: datetime


class ParticipantRead(BaseModel):
    profile_id: uuid.UUID
    joined_at: datetime
    owner: bool


ScheduledStatus = Literal["scheduled", "sent", "cancelled"]


class ScheduledMessageRead(BaseModel):
    """A message to be posted at ``send_at``; ``sent_index`` once sent, ``cancel_reason``
    (``cancelled``, ``author_left``, or the code of what the post refused) once cancelled."""

    id: uuid.UUID
    chat_id: uuid.UUID
    profile_id: uuid.UUID
    body: str | None
    file: FileRef | None
    reply_to: int | None
    send_at: datetime
    status: ScheduledStatus
    cancel_reason: str | None
    sent_index: int | None
    created_at: datetime
    updated_at: datetime


class ScheduledMessageUpdate(Input):
    """A new text or time for a message still scheduled; a field left out stays as it is."""

    body: Annotated[str, Field(max_length=MAX_BODY, pattern=NOT_BLANK)] | None = None
    send_at: datetime | None = None


class MessageForward(Input):
    chat_id: uuid.UUID = Field(description="The chat to forward to (one I take part in).")


class MessageReactions(BaseModel):
    """A message's reactions after a reaction was added or removed, and the event that said
    so (null when nothing changed: the call is idempotent)."""

    chat_id: uuid.UUID
    index: int
    reactions: list[ReactionCount]
    event: EventRead | None


class PinRead(BaseModel):
    index: int
    pinned_by: uuid.UUID
    pinned_at: datetime
    message: EventRead
