"""The search index's tables: what is found, by which tokens (``terms``), and where.

``terms`` holds the tokens of :mod:`bca.search.tokens`, space-separated. The databases index
them each in its own way, made by the migration (0011) and kept by the database itself:
PostgreSQL a generated ``tokens tsvector`` column (``array_to_tsvector`` of the terms) with a
GIN index; SQLite an FTS5 table over ``terms`` (``<table>_fts``, external content, kept by
triggers). Neither is mapped here: :mod:`bca.search.repository` names them.

Rows are derived data: ``bca search reindex`` (or the worker) rebuilds them from the
messages, cards, contacts and profiles at any time.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.time import utcnow

# SQLite makes an INTEGER PRIMARY KEY the rowid (which FTS5 refers to); PostgreSQL a bigint.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class SearchEntry(Base):
    """A card, a contact or a profile as it is found: ``kind`` ``card``, ``contact``,
    ``profile`` (every field) or ``profile_name`` (the name alone: what someone sees of a
    private profile they relate to without following it)."""

    __tablename__ = "search_entries"
    __table_args__ = (
        UniqueConstraint("kind", "entity_id"),
        Index("ix_search_entries_profile_id", "profile_id"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[uuid.UUID]
    # The profile the entry belongs to: the card's, the contact's keeper, the profile itself.
    profile_id: Mapped[uuid.UUID]
    text: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchMessage(Base):
    """One version of a message's text: valid from the event that wrote it (the message, or
    an edit) until the event that replaced it (``valid_until``: an edit or the deletion; None
    while it is the current text). A participant who left finds the version that was current
    at their departure; the others the current one. A deleted message has no current version."""

    __tablename__ = "search_messages"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_index", "valid_from"),
        Index("ix_search_messages_profile_id", "profile_id"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    chat_id: Mapped[uuid.UUID]
    message_index: Mapped[int]
    valid_from: Mapped[int]
    valid_until: Mapped[int | None]
    # The author's profile.
    profile_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)


class SearchedChat(Base):
    """How far a chat's events are indexed: the worker indexes the events after
    ``indexed_through`` (new messages, edits and deletions) and moves it on, under this
    row's lock."""

    __tablename__ = "search_chats"

    chat_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    indexed_through: Mapped[int] = mapped_column(default=0)
