from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.ids import new_id
from bca.core.time import utcnow


class StoredFile(Base):
    """Metadata of one object in storage; the row is written only after the object is stored."""

    __tablename__ = "files"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # The name the client uploaded it as, cleaned (see files.uploads.clean_filename); only
    # offered back in Content-Disposition, never used for storage.
    name: Mapped[str | None] = mapped_column(String(255))
    # What the file is used as: "upload", "profile_image" or "card_preview" (public when its
    # profile or card is visible), "scan" or "contact_image" (its owner's only).
    purpose: Mapped[str] = mapped_column(String(20), default="upload")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
