"""Erasing a user: every declared table (``bca.core.personal.PERSONAL_DATA``) by its eraser,
from the tables that point at others to those they point at, then every storage prefix of
theirs. What others keep (their chats' history) points at "a deleted profile" from then on.

An account is erased when its owner deleted it and the grace period is over (the periodic
``rights.erase_due``), or at once when an operator erases it (``rights.erase_user``, enqueued by
the admin action, after the deactivation that hid it from everyone has committed).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import sort_tables

from bca.accounts.models import User
from bca.accounts.service import deactivate_now
from bca.backends import Backends
from bca.backends.tasks import enqueue_after_commit
from bca.core.errors import NotFound
from bca.core.personal import PERSONAL_STORAGE, Erasure, ObjectStore, Personal
from bca.core.time import utcnow
from bca.profiles.models import Profile
from bca.rights.residue import personal_tables

logger = logging.getLogger(__name__)

ERASED_USER_ID = uuid.UUID("00000000-0000-4000-8000-0000000e7a5e")
"""The account that holds "a deleted profile": never signs in, shown nowhere."""
ERASED_PROFILE_ID = uuid.UUID("00000000-0000-4000-8000-0000000e7a5f")
"""The author of what an erased user left in others' chats."""
ERASED_NAME = "Deleted profile"
DUE_PER_RUN = 20
"""Accounts erased by one run of ``rights.erase_due`` (the next run takes the rest)."""


async def ensure_erased_profile(session: AsyncSession) -> uuid.UUID:
    """The stand-in author, made the first time a user is erased."""
    if await session.get(Profile, ERASED_PROFILE_ID) is None:
        now = utcnow()
        if await session.get(User, ERASED_USER_ID) is None:
            session.add(
                User(
                    id=ERASED_USER_ID,
                    email="erased@erased.invalid",
                    # Not a username anyone can choose (the pattern refuses "~").
                    username="~erased",
                    password_hash="!",  # noqa: S106  # not a hash: no password verifies against it
                    role="user",
                    locked=True,
                    deactivated_at=now,
                )
            )
            await session.flush()
        session.add(
            Profile(
                id=ERASED_PROFILE_ID,
                user_id=ERASED_USER_ID,
                name=ERASED_NAME,
                private=True,
                deleted_at=now,
            )
        )
        await session.flush()
    return ERASED_PROFILE_ID


def erasure_order() -> list[Personal]:
    """The declarations, those whose rows point at others' first."""
    declared = {item.table: item for item in personal_tables()}
    ordered = sort_tables(list(declared))
    return [declared[table] for table in reversed(ordered)]


async def erase_user(session: AsyncSession, storage: ObjectStore, *, user_id: uuid.UUID) -> int:
    """Erase everything of the user in this transaction; answers how many rows went or were
    redacted. Idempotent: a second run finds nothing. The account must be deactivated already
    (in a transaction of its own, so that everyone's sync copies dropped it)."""
    if user_id == ERASED_USER_ID:
        raise ValueError("the stand-in of erased users is not erased")
    user = await session.get(User, user_id)
    if user is not None and user.deactivated_at is None:
        raise ValueError(f"user {user_id} is active: deactivate it first")
    profile_ids = frozenset(
        (await session.scalars(select(Profile.id).where(Profile.user_id == user_id))).all()
    )
    erasure = Erasure(
        session=session,
        storage=storage,
        user_id=user_id,
        profile_ids=profile_ids,
        erased_profile_id=await ensure_erased_profile(session),
        now=utcnow(),
    )
    total = 0
    for declared in erasure_order():
        total += await declared.erase(erasure, declared)
    for prefix in PERSONAL_STORAGE:
        while keys := await storage.list_keys(prefix.prefix(user_id)):
            for key in keys:
                await storage.delete(key)
    session.expunge_all()  # the rows are gone: nothing loaded before may be flushed again
    return total


async def erase_user_task(backends: Backends, *, user_id: str) -> None:
    """``rights.erase_user``: erase one account (an operator's erasure, or a due one)."""
    async with backends.database.transaction() as session:
        removed = await erase_user(session, backends.storage, user_id=uuid.UUID(user_id))
    logger.info("erased user %s (%d rows removed or redacted)", user_id, removed)


async def erase_due(backends: Backends) -> None:
    """``rights.erase_due``: erase the accounts whose owners deleted them, once the grace
    period is over; each in a transaction of its own."""
    async with backends.database.transaction() as session:
        due = (
            await session.scalars(
                select(User.id)
                .where(User.erase_after <= utcnow(), User.deactivated_at.is_not(None))
                .order_by(User.erase_after)
                .limit(DUE_PER_RUN)
            )
        ).all()
    for user_id in due:
        await erase_user_task(backends, user_id=str(user_id))


async def erase_soon(session: AsyncSession, backends: Backends, *, user_id: uuid.UUID) -> User:
    """An operator erases an account: deactivated now (signed out, hidden from everyone), and
    erased by the worker right after this commits; signing in no longer calls it off."""
    user = await session.get(User, user_id)
    if user is None or user.id == ERASED_USER_ID:
        raise NotFound()
    if user.deactivated_at is None:
        await deactivate_now(session, backends, user)
    user.erase_after = utcnow()
    enqueue_after_commit(session, backends.tasks, "rights.erase_user", user_id=str(user.id))
    return user
