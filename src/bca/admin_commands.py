"""Account administration from the command line, on top of the service's admin operations.

Each function runs one transaction and answers with the sentence the operator reads; the
rules themselves (what locking revokes, what deactivation hides) live in the service, which
the web console calls as well.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import service
from bca.accounts.models import User
from bca.accounts.schemas import SignupRequest
from bca.accounts.service import create_account
from bca.backends import Backends
from bca.core.errors import AppError
from bca.settings import Settings
from bca.wiring import create_backends

Operation = Callable[[AsyncSession, Backends, User], Awaitable[str]]


async def create_user_directly(
    settings: Settings, *, email: str, username: str, password: str, admin: bool
) -> uuid.UUID:
    """Create a verified account; raises ValueError with a readable reason on bad input."""
    try:
        data = SignupRequest(email=email, username=username, password=password)
    except ValidationError as error:
        reasons = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'input'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ValueError(reasons) from None
    backends = create_backends(settings)
    try:
        async with backends.database.transaction() as session:
            user = await create_account(
                session,
                backends.passwords,
                data=data,
                role="admin" if admin else "user",
                verified=True,
            )
            return user.id
    except AppError as error:
        raise ValueError(error.message) from None
    finally:
        await backends.close()


def describe(user: User) -> str:
    return f"{user.username} <{user.email}>"


async def list_users(settings: Settings, *, query: str | None, limit: int) -> Sequence[User]:
    backends = create_backends(settings)
    try:
        async with backends.database.transaction() as session:
            return await service.list_users(session, q=query, after=None, limit=limit)
    finally:
        await backends.close()


async def apply(backends: Backends, identifier: str, operation: Operation) -> str:
    """Run ``operation`` on the account named by id, email or username, in one transaction.

    Raises ``UserNotFound`` (its message names what was looked for). The backends are the
    full set, so that revocations reach running servers through the shared cache and the
    sync work that follows a change is done.
    """
    async with backends.database.transaction() as session:
        user = await service.find_user(session, identifier=identifier)
        return await operation(session, backends, user)


async def verify(session: AsyncSession, _backends: Backends, user: User) -> str:
    if user.email_verified_at is not None:
        return f"{describe(user)}: the address was already verified"
    await service.admin_verify_email(session, user_id=user.id)
    return f"{describe(user)}: address marked verified"


def lock(locked: bool) -> Operation:
    async def set_lock(session: AsyncSession, backends: Backends, user: User) -> str:
        word = "locked" if locked else "unlocked"
        if user.locked is locked:
            return f"{describe(user)} was already {word}"
        await service.set_locked(session, backends, user_id=user.id, locked=locked)
        signed_out = "; signed out on every device" if locked else ""
        return f"{describe(user)} {word}{signed_out}"

    return set_lock


def role(new_role: service.Role) -> Operation:
    async def set_role(session: AsyncSession, _backends: Backends, user: User) -> str:
        if user.role == new_role:
            return f"{describe(user)} already has the role {new_role}"
        await service.set_role(session, user_id=user.id, role=new_role)
        return f"{describe(user)} now has the role {new_role}"

    return set_role


async def deactivate(session: AsyncSession, backends: Backends, user: User) -> str:
    if user.deactivated_at is not None:
        return f"{describe(user)} was already deactivated"
    await service.admin_deactivate(session, backends, user_id=user.id)
    return f"{describe(user)} deactivated: signed out, profiles hidden from everyone"


async def restore(session: AsyncSession, _backends: Backends, user: User) -> str:
    if user.deactivated_at is None:
        return f"{describe(user)} is not deactivated"
    await service.restore(session, user_id=user.id)
    return f"{describe(user)} restored: may sign in again, profiles visible again"


async def revoke_sessions(session: AsyncSession, backends: Backends, user: User) -> str:
    revoked = await service.admin_revoke_sessions(session, backends, user_id=user.id)
    count = len(revoked)
    return f"{describe(user)}: {count} session{'' if count == 1 else 's'} revoked"
