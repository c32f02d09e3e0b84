from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bca.core.db import Base
from bca.core.ids import new_id
from bca.core.time import utcnow


class User(Base):
    __tablename__ = "users"
    # The admin list and console page through users newest (or oldest) first.
    __table_args__ = (Index("ix_users_created_at_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Stored lower-cased: the unique constraint then also rejects case variants.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    nickname: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="user")
    email_verified_at: Mapped[datetime | None]
    locked: Mapped[bool] = mapped_column(default=False)
    deactivated_at: Mapped[datetime | None]
    # Set when the owner deleted the account: erased by the worker from then on, unless they
    # sign in with their password before (bca.rights).
    erase_after: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None and not self.locked


class AuthSession(Base):
    """One signed-in device: a refresh-token family plus that device's push token."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    device_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    push_token: Mapped[str | None] = mapped_column(String(4096))
    push_platform: Mapped[str | None] = mapped_column(String(16))


class RefreshToken(Base):
    """Every refresh token ever issued, kept spent so that a replay is recognised (RFC 9700)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    spent_at: Mapped[datetime | None]


class EmailToken(Base):
    """Single-use tokens mailed for address verification and password reset, stored hashed."""

    __tablename__ = "email_tokens"
    __table_args__ = (Index("ix_email_tokens_user_id_purpose", "user_id", "purpose"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AppPassword(Base):
    """A per-device secret for clients that only speak HTTP Basic (CardDAV address books).

    The secret is random (about 100 bits), shown once and stored as its SHA-256 like refresh
    tokens; it never grants more than the read-only DAV surface. ``revoked_at`` ends it.
    """

    __tablename__ = "app_passwords"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SigninFailures(Base):
    """An account's recent wrong secrets and its lockout, kept in the database so that they
    survive a cache that restarts empty (a Redis without persistence).

    ``account_key`` is the user id, or ``login:`` and the SHA-256 of a login that names nobody
    (so both answer alike). Wrong passwords and wrong app passwords are counted apart: a
    success of one kind clears only its own count (an app password's success clears nothing,
    since it comes from the user's phone while someone else may be guessing). Either count
    reaching the limit sets ``locked_until`` for the whole account. A count is forgotten when
    its window (``*_until``) has passed; ``accounts.purge_signin_failures`` removes rows whose
    windows and lock all ended.
    """

    __tablename__ = "signin_failures"

    account_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    password_failures: Mapped[int] = mapped_column(default=0)
    password_until: Mapped[datetime | None]
    app_password_failures: Mapped[int] = mapped_column(default=0)
    app_password_until: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
