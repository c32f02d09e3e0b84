from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base, JSONType
from bca.core.ids import new_id
from bca.core.time import utcnow


class Contact(Base):
    """A wallet entry that is not a subscription: a paper card's person, kept by one profile.

    Private to the owner of that profile. Soft-deleted, so that an address book's incremental
    sync can still tell which book a removed contact left.
    """

    __tablename__ = "contacts"
    __table_args__ = (
        Index(
            "ix_contacts_profile_id_deleted_at_created_at", "profile_id", "deleted_at", "created_at"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    phones: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    emails: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    address: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    image_file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("files.id"))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
