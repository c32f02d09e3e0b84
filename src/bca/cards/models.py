from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.ids import new_id
from bca.core.time import utcnow


class Card(Base):
    __tablename__ = "cards"
    __table_args__ = (Index("ix_cards_profile_id_deleted_at", "profile_id", "deleted_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"))
    name: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    preview_file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("files.id"))
    private: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    # The addresses of ``data["emails"]`` proven by a mailed code or link
    # (``bca.cards.verification``): ``[{email, domain, verified_at, expires_at, work}]``, kept
    # on the row so every read of a card (API, sync, CardDAV, page) has them at no extra cost.
    verified_emails: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    # The earliest ``expires_at`` among them: the periodic task finds expired ones by index.
    verified_until: Mapped[datetime | None] = mapped_column(index=True)


class CardShareLink(Base):
    """A capability link to one card; revoking sets ``revoked_at`` and the page 404s."""

    __tablename__ = "card_share_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    card_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cards.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Subscription(Base):
    """A card held in a profile's wallet."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_card_id", "card_id"),)

    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    card_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    subscribed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Made by presenting a valid share link: such an entry survives the card turning private
    # (the owner handed it out), while entries made by merely seeing a public card do not.
    via_share_link: Mapped[bool] = mapped_column(default=False, server_default=false())


class CardEmailVerification(Base):
    """A pending proof that the owner of a card reads one of its addresses: the mailed code
    and link, stored hashed (keyed with the server's secret), until confirmed or expired.

    ``user_id`` is the card owner's account, so that an export or erasure finds these rows by
    user without a join (they hold an address and its owner's intent)."""

    __tablename__ = "card_email_verifications"
    __table_args__ = (UniqueConstraint("card_id", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    card_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cards.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    code_hash: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
