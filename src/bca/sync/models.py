from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
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
    """One entry of a user's change log: which entity changed and how (data read at sync).

    Only ever read by ``(user_id, seq)`` ranges (the primary key): what a user holds is kept in
    ``HeldEntity``, so no write looks back into the log's history.
    """

    __tablename__ = "sync_changes"

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


class HeldEntity(Base):
    """An entity a user's offline copy holds: the user's newest change-log entry for it is an
    ``upsert``. Written with the log, in the same transaction.

    The write path asks "did this user see the entity before?" for every touched (user,
    entity, id): one primary-key probe here, whatever the length of the log or of a chat's
    history. It also lets compaction drop old entries freely.
    """

    __tablename__ = "sync_held_entities"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(80), primary_key=True)
