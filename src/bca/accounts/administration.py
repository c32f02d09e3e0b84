"""An operator's actions on accounts: find, list, lock, verify, promote, deactivate, restore,
revoke sessions. The admin actions' table (``bca.admin.actions.ACTIONS``) calls these, from
the API, the console and the CLI alike."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import hooks, repository
from bca.accounts.errors import UserNotFound
from bca.accounts.models import AuthSession, User
from bca.accounts.service import deactivate_now
from bca.accounts.sessions import announce_revoked, revoke_everywhere
from bca.backends import Backends
from bca.core.errors import NotFound
from bca.core.time import utcnow


async def list_users(
    session: AsyncSession, *, q: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Sequence[User]:
    return await repository.search_users(session, q=q, after=after, limit=limit)


async def active_user_ids(session: AsyncSession) -> list[uuid.UUID]:
    return await repository.active_user_ids(session)


async def _target(session: AsyncSession, user_id: uuid.UUID) -> User:
    target = await repository.get_user(session, user_id)
    if target is None:
        raise NotFound()
    return target


async def find_user(session: AsyncSession, *, identifier: str) -> User:
    """The account an operator names by id, email address or username (32 hex digits can be
    either an id or a username: the id is tried first)."""
    try:
        user_id: uuid.UUID | None = uuid.UUID(identifier)
    except ValueError:
        user_id = None
    user = await repository.get_user(session, user_id) if user_id else None
    user = user or await repository.find_user_by_login(session, identifier)
    if user is None:
        kind = "id" if user_id else "email" if "@" in identifier else "username"
        raise UserNotFound(f"no user with {kind} {identifier}")
    return user


async def set_locked(
    session: AsyncSession, backends: Backends, *, user_id: uuid.UUID, locked: bool
) -> User:
    """A locked account cannot sign in; locking ends its sessions at once."""
    target = await _target(session, user_id)
    target.locked = locked
    if locked:
        await revoke_everywhere(session, backends, target.id)
    return target


async def admin_revoke_sessions(
    session: AsyncSession, backends: Backends, *, user_id: uuid.UUID
) -> list[uuid.UUID]:
    """Revoke every live session (and app password) of the user; returns the sessions' ids."""
    target = await _target(session, user_id)
    return await revoke_everywhere(session, backends, target.id)


async def admin_revoke_session(
    session: AsyncSession, backends: Backends, *, session_id: uuid.UUID
) -> AuthSession:
    """Revoke one live session of anyone (404 when it is unknown or already over)."""
    target = await session.get(AuthSession, session_id)
    if target is None or not await repository.revoke_session(session, session_id):
        raise NotFound()
    announce_revoked(session, backends, [session_id])
    return target


async def admin_verify_email(session: AsyncSession, *, user_id: uuid.UUID) -> User:
    """Mark the address verified (an operator confirmed it another way); idempotent."""
    target = await _target(session, user_id)
    if target.email_verified_at is None:
        target.email_verified_at = utcnow()
    return target


Role = Literal["user", "admin"]


async def set_role(session: AsyncSession, *, user_id: uuid.UUID, role: Role) -> User:
    """Promote or demote; every request re-reads the role, so the change applies at once."""
    target = await _target(session, user_id)
    target.role = role
    return target


async def admin_deactivate(
    session: AsyncSession, backends: Backends, *, user_id: uuid.UUID
) -> User:
    """Deactivate as the account's owner would, without their password; idempotent."""
    target = await _target(session, user_id)
    if target.deactivated_at is None:
        await deactivate_now(session, backends, target)
    return target


async def restore(session: AsyncSession, *, user_id: uuid.UUID) -> User:
    """Undo a deactivation: the account may sign in again and its profiles reappear (an
    erasure its owner asked for is called off)."""
    target = await _target(session, user_id)
    if target.deactivated_at is not None:
        target.deactivated_at = None
        target.erase_after = None
        await session.flush()
        await hooks.account_shown_or_hidden(session, target)
    return target
