from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.ids import new_id
from bca.core.time import utcnow


class WebPushSubscription(Base):
    """A browser's Web Push subscription (RFC 8030/8291), one per session: subscribing again
    replaces it, and it goes with its session."""

    __tablename__ = "web_push_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048))
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    previews: Mapped[bool] = mapped_column(default=False)
    """Whether a notification may show the message's text (off: sender and chat only)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
