from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.ids import new_id
from bca.core.time import utcnow


class Profile(Base):
    """A persona of a user ("me at work"); soft-deleted so that audit keeps the row."""

    __tablename__ = "profiles"
    __table_args__ = (Index("ix_profiles_user_id_deleted_at", "user_id", "deleted_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    team_name: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(Text)
    sns: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    image_file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("files.id"))
    private: Mapped[bool] = mapped_column(default=False)
    # Who may start a chat with this profile without being followed by it: ``everyone``,
    # ``verified_work`` (inviters with a verified work email on a card) or ``nobody``
    # (``bca.chat.requests``).
    message_requests: Mapped[str] = mapped_column(
        String(16), default="everyone", server_default="everyone"
    )
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


class Relation(Base):
    """What ``profile_id`` thinks of ``target_id``: follow, follow_requested, hide or block."""

    __tablename__ = "relations"
    __table_args__ = (Index("ix_relations_target_id_status", "target_id", "status"),)

    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
