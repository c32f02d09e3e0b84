"""A person's exports of their data: one ZIP in storage per request, kept for a week."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.ids import new_id
from bca.core.time import utcnow


class DataExport(Base):
    """One export: ``pending`` while the worker builds it, then ``ready`` (downloadable until
    ``expires_at``, then deleted with its object) or ``failed``."""

    __tablename__ = "data_exports"
    __table_args__ = (Index("ix_data_exports_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    storage_key: Mapped[str | None] = mapped_column(String(300))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
