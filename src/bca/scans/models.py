from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.ids import new_id
from bca.core.time import utcnow


class Scan(Base):
    """A photographed paper card on its way to becoming a contact of ``profile_id``.

    ``status`` goes ``pending`` -> ``done`` (``fields`` and ``raw_text`` set) or ``failed``
    (``failure`` says why), once; accepting it records the contact it became.
    """

    __tablename__ = "scans"
    # The sweeper's (scans.fail_stalled) way to the few pending scans among all of them.
    __table_args__ = (
        Index(
            "ix_scans_pending_created_at",
            "created_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"), index=True)
    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("files.id"))
    region: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    failure: Mapped[str | None] = mapped_column(String(300))
    fields: Mapped[dict[str, Any] | None]
    raw_text: Mapped[str | None] = mapped_column(Text)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
