from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base, BigIntType
from bca.core.time import utcnow


class ChangeCounter(Base):
    """Per-user position of the change log.

    ``last_seq`` is bumped under this row's lock inside the writing transaction, so a user's
    sequence numbers are gapless and commit in order: a reader holding cursor N can never
    miss an entry that commits later with a smaller number. ``compacted_through`` is the
    highest sequence number already removed by compaction (cursors below it are expired).
    """

    __tablename__ = "sync_change_counters"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigIntType, default=0)
    compacted_through: Mapped[int] = mapped_column(BigIntType, default=0)


class Change(Base):
    """One entry of a user's change log: which entity changed and how (data read at sync)."""

    __tablename__ = "sync_changes"
    # The newest entry per (user, entity) is looked up at every write (was it visible before?)
    # and kept by compaction; the primary key (user_id, seq) serves the reads by cursor.
    __table_args__ = (
        Index(
            "ix_sync_changes_user_id_entity_entity_id_seq", "user_id", "entity", "entity_id", "seq"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigIntType, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(80))
    op: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Snapshot(Base):
    """Pointer to a user's current snapshot file; switched only after the upload finished."""

    __tablename__ = "sync_snapshots"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    storage_key: Mapped[str | None] = mapped_column(String(300))
    cursor: Mapped[int] = mapped_column(BigIntType, default=0)
    etag: Mapped[str | None] = mapped_column(String(80))
    schema_version: Mapped[int] = mapped_column(default=1)
    rebuild_requested: Mapped[bool] = mapped_column(default=False)
    built_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
