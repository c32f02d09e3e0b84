from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.ids import new_id
from bca.core.time import utcnow


class Report(Base):
    """A report of a message, a profile or a card, and what a moderator did about it.

    A message report keeps the reporter's copy of the message (``message_body``, its author
    and time) as they saw it when reporting: it stays with the report whatever happens to the
    message later. ``reporter_user_id`` and ``reporter_profile_id`` find a user's reports
    (export, erasure); ``profile_id`` is the reported profile (a message's author, a card's
    owner), ``reported_user_id`` its account.
    """

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_status_created_at", "status", "created_at"),
        Index("ix_reports_reporter_user_id_created_at", "reporter_user_id", "created_at"),
        Index("ix_reports_reported_user_id", "reported_user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    reporter_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    reporter_profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    kind: Mapped[str] = mapped_column(String(10))  # message | profile | card
    reason: Mapped[str] = mapped_column(String(20))  # spam | harassment | impersonation | other
    text: Mapped[str | None] = mapped_column(String(1000))
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    reported_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    card_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cards.id"))
    chat_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chats.id"))
    message_index: Mapped[int | None]
    message_body: Mapped[str | None] = mapped_column(Text)
    message_sent_at: Mapped[datetime | None]
    # open | dismissed | message_removed | card_hidden | account_locked
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
