"""The rules of administration: who may take an action, its audit, and the dashboard.

The actions themselves are one table, ``actions.ACTIONS``. The API (``routes``), the console
(``console``) and the CLI (``bca.admin_commands``) all take an action through :func:`perform`,
which calls the row's domain service and writes the audit record into the same transaction:
the record exists exactly when the action does, whichever door it came through.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.admin import repository
from bca.admin.actions import Action, find_action
from bca.admin.errors import NotOnYourself, ReasonRequired
from bca.admin.models import AuditRecord
from bca.backends import Backends, readiness
from bca.core.errors import NotFound

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500


SHELL_PREFIX = "shell:"


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit names them: an admin account and the address they came from,
    or (``user`` None) the operator at the server's shell, named by their system login."""

    user: User | None
    address: str | None
    login: str | None = None

    @classmethod
    def at_the_shell(cls) -> Actor:
        """The operator running ``bca admin ...``: whoever may run the command on the server
        is trusted with the database already, so no role is checked."""
        try:
            login = getpass.getuser()
        except (KeyError, OSError):  # no name for the process's uid (a bare container)
            login = "unknown"
        return cls(user=None, address=None, login=login)

    @property
    def name(self) -> str:
        """The audit's ``actor``: the username, or ``shell:<login>`` (no username has a colon)."""
        if self.user is not None:
            return self.user.username
        return f"{SHELL_PREFIX}{self.login}"


async def record(
    session: AsyncSession,
    actor: Actor,
    *,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    entry = AuditRecord(
        actor_id=actor.user.id if actor.user is not None else None,
        actor=actor.name,
        action=action,
        target_type=target_type,
        target_id=target_id,
        address=actor.address,
        details=details or {},
    )
    repository.add_record(session, entry)
    await session.flush()
    return entry


def parse_target(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound() from None


async def perform(
    session: AsyncSession,
    backends: Backends,
    *,
    actor: Actor,
    action: Action,
    target_id: uuid.UUID,
    reason: str | None,
) -> AuditRecord:
    """Take ``action`` on the target as ``actor`` and record it, in the caller's transaction."""
    if actor.user is not None:  # an account's request; the shell's operator is trusted
        if actor.user.role != "admin":
            raise NotFound()
        locked_out = action.locks_out
        if locked_out is not None and await locked_out(session, target_id) == actor.user.id:
            raise NotOnYourself()
    reason = (reason or "").strip()[:REASON_MAX_LENGTH] or None
    if action.reason_required and reason is None:
        raise ReasonRequired()
    details = await action.run(session, backends, target_id)
    if reason is not None:
        details["reason"] = reason
    return await record(
        session,
        actor,
        action=action.audit_name,
        target_type=action.target_type,
        target_id=str(target_id),
        details=details,
    )


async def perform_named(
    session: AsyncSession,
    backends: Backends,
    *,
    actor: Actor,
    on: tuple[str, str],
    target_id: uuid.UUID,
    reason: str | None = None,
) -> AuditRecord:
    """:func:`perform` of the action named ``on``: (target type, action name)."""
    return await perform(
        session,
        backends,
        actor=actor,
        action=find_action(*on),
        target_id=target_id,
        reason=reason,
    )


@dataclass(frozen=True)
class Dashboard:
    counts: dict[str, int]
    queue_depth: int | None
    readiness: dict[str, str]


async def queue_depth(backends: Backends) -> int | None:
    try:
        return await asyncio.wait_for(backends.tasks.depth(), 3)
    except Exception:
        logger.warning("the broker did not tell its queue depth", exc_info=True)
        return None


async def dashboard(backends: Backends) -> Dashboard:
    """Counts in a read transaction of their own, then the backends' checks outside it: on
    SQLite a check made inside would queue behind that transaction's own write lock."""
    async with backends.database.transaction() as session:
        counts = await repository.counts(session)
    depth, ready = await asyncio.gather(queue_depth(backends), readiness(backends))
    return Dashboard(counts=counts, queue_depth=depth, readiness=ready)
