"""Account administration from the command line, on top of the admin actions' table.

Each function runs one transaction and answers with the sentence the operator reads. The
actions themselves (``bca.admin.actions.ACTIONS``: what locking revokes, what deactivation
hides, the audit record) are the ones the API and the web console take.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import ValidationError

from bca.accounts import administration
from bca.accounts.errors import UserNotFound
from bca.accounts.models import User
from bca.accounts.schemas import SignupRequest
from bca.accounts.service import create_account
from bca.admin import actions
from bca.admin import service as admin
from bca.backends import Backends
from bca.core.errors import AppError
from bca.rights.residue import Residue, residue_of
from bca.settings import Settings
from bca.wiring import create_backends


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
            return await administration.list_users(session, q=query, after=None, limit=limit)
    finally:
        await backends.close()


def shell_actions() -> list[actions.Action]:
    """The actions ``bca admin users`` offers: the rows of the one table that have ``shell``."""
    return [action for action in actions.ACTIONS if action.shell is not None]


async def apply(
    backends: Backends, identifier: str, action: actions.Action, *, reason: str | None = None
) -> str:
    """Take ``action`` on the account named by id, email or username, in one transaction, as
    the operator at the shell: the audit record is written as it is from the console.

    Nothing is done (and nothing recorded) when the account is already in the state the action
    makes. Raises ``UserNotFound`` (its message names what was looked for). The backends are
    the full set, so that revocations reach running servers through the shared cache and the
    sync work that follows a change is done.
    """
    shell = action.shell
    if shell is None:
        raise ValueError(f"{action.audit_name} is not offered at the shell")
    async with backends.database.transaction() as session:
        user = await administration.find_user(session, identifier=identifier)
        if not action.applies(user):
            return shell.unchanged.format(user=describe(user))
        entry = await admin.perform(
            session,
            backends,
            actor=admin.Actor.at_the_shell(),
            action=action,
            target_id=user.id,
            reason=reason,
        )
        return shell.done(describe(user), entry.details)


async def residue(backends: Backends, identifier: str) -> tuple[str, list[Residue]]:
    """Whom ``identifier`` names (an erased account is named by its id alone), and every
    table and storage prefix that still holds anything of them."""
    async with backends.database.transaction() as session:
        try:
            user = await administration.find_user(session, identifier=identifier)
        except UserNotFound:
            if not _is_uuid(identifier):
                raise
            user_id = uuid.UUID(identifier)
            who = f"user {user_id}"
        else:
            user_id, who = user.id, describe(user)
        return who, await residue_of(session, backends.storage, user_id)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
