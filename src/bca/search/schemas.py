"""What ``GET /v1/search`` answers: hits grouped by kind, each with its text and the ranges
of it that the query matched (offsets, never markup)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class SearchKind(StrEnum):
    messages = "messages"
    cards = "cards"
    contacts = "contacts"
    profiles = "profiles"


class SearchHit(BaseModel):
    """One thing found. ``ranges`` are ``[start, end)`` offsets into ``text`` in Unicode
    code points (a client working in UTF-16 converts them), sorted, not overlapping."""

    kind: SearchKind
    id: str = Field(
        description="The card's, contact's or profile's id; for a message `<chat_id>:<index>`."
    )
    profile_id: uuid.UUID = Field(
        description="A message's author, the card's profile, the contact's keeper, the profile."
    )
    chat_id: uuid.UUID | None = None
    index: int | None = Field(default=None, description="A message's index in its chat.")
    text: str
    ranges: list[tuple[int, int]]
    at: datetime | None = Field(
        default=None, description="When the message was posted, or the entry last indexed."
    )


class SearchGroup(BaseModel):
    hits: list[SearchHit]
    next_cursor: str | None = Field(
        default=None, description="More of this kind: pass it as `cursor` (with the same `q`)."
    )


class SearchResults(BaseModel):
    """The kinds asked for, each ranked (relevance, then recency) and paged on its own."""

    messages: SearchGroup | None = None
    cards: SearchGroup | None = None
    contacts: SearchGroup | None = None
    profiles: SearchGroup | None = None
