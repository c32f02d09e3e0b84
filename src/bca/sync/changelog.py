"""Appending to users' change logs; called by every domain inside its writing transaction.

Writers only *touch* (user, entity) pairs while they work; the entries are decided and
written once, right before the transaction commits (:func:`write_before_commit`, a step of the
transaction boundary that the wiring registers): which entries, by what each user sees before
and after, in ``changelog_decisions``; their gapless sequence numbers in
``changelog_sequence``. Users who keep a snapshot get a debounced ``sync.update_snapshot``
after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bca.core.db import outbox
from bca.core.domain import Slot
from bca.sync.changelog_decisions import ALWAYS, CONDITIONAL, HELD, Key, Touch, decide
from bca.sync.changelog_sequence import append
from bca.sync.models import ChangeCounter, HeldEntity

Entity = str
"""An entity type of ``bca.sync.entities.ENTITIES``."""

PENDING_KEY = "bca.sync.pending"
"""``session.info`` key of the (user, entity) pairs the transaction touched."""


def touch(
    session: AsyncSession | Session,
    *,
    user_ids: Iterable[uuid.UUID],
    entity: Entity,
    entity_ids: Iterable[str],
    conditional: bool = False,
) -> None:
    """Note that ``entity_ids`` may look different to ``user_ids``; decided at commit.

    ``conditional``: write an entry only if the entity appears or disappears for the user (its
    content did not change, only something it depends on).
    """
    _note(session, user_ids, entity, entity_ids, CONDITIONAL if conditional else ALWAYS)


def touch_held(
    session: AsyncSession | Session, *, user_id: uuid.UUID, entity: Entity, entity_id: str
) -> None:
    """The entity changed for a user who certainly holds it before and after this write
    (checked by the caller in the same transaction): an ``upsert`` entry, no visibility query."""
    _note(session, [user_id], entity, [entity_id], HELD)


def _note(
    session: AsyncSession | Session,
    user_ids: Iterable[uuid.UUID],
    entity: str,
    entity_ids: Iterable[str],
    how: Touch,
) -> None:
    pending: dict[Key, Touch] = session.info.setdefault(PENDING_KEY, {})
    ids = list(entity_ids)
    for user_id in user_ids:
        for entity_id in ids:
            key = (user_id, entity, entity_id)
            earlier = pending.get(key)
            pending[key] = how if earlier is None else earlier.merge(how)


async def record_change(
    session: AsyncSession,
    *,
    user_ids: Iterable[uuid.UUID],
    entity: Entity,
    entity_id: str,
) -> None:
    """The entity changed for these users: what each sees at commit (and at read time)
    decides between an upsert and a delete in their log."""
    touch(session, user_ids=user_ids, entity=entity, entity_ids=[entity_id])


async def held_keys(
    session: AsyncSession,
    users: set[uuid.UUID],
    entity: str,
    *,
    prefixes: Iterable[str] = (),
    suffixes: Iterable[str] = (),
) -> set[str]:
    """Keys of ``entity`` these users' copies hold, starting or ending as given.

    Rows that described an entity may be gone by the time a writer calls (relations and
    wallet entries are deleted, not soft-deleted); what the users hold still names them. The
    scan is bounded by what the users hold now, not by the history of the log.
    """
    patterns = [f"{prefix}%" for prefix in prefixes] + [f"%{suffix}" for suffix in suffixes]
    if not users or not patterns:
        return set()
    rows = await session.scalars(
        select(HeldEntity.entity_id)
        .where(
            HeldEntity.user_id.in_(sorted(users)),
            HeldEntity.entity == entity,
            or_(*(HeldEntity.entity_id.like(pattern) for pattern in patterns)),
        )
        .distinct()
    )
    return set(rows.all())


def create_counter(session: AsyncSession, user_id: uuid.UUID) -> None:
    session.add(ChangeCounter(user_id=user_id, last_seq=0, compacted_through=0))


Schedule = Callable[[list[uuid.UUID]], Awaitable[None]]

LIVE_ENTITIES = frozenset({"chat"})
"""Entities whose changes reach a connected client as chat events already: entries of only
these get no sync hint (a post's and a read marker's own entry, the hot path, publish nothing)."""


Changed = Callable[[AsyncSession, set[tuple[Entity, str]]], Awaitable[None]]

CHANGED: Slot[Changed] = Slot("sync: entities changed")
"""Told, right before a commit and inside the transaction, which entities it changed
(``(entity, id)``; touches that only may change who sees an entity are left out): search
reindexes the cards, contacts and profiles there, so that they are found as they are as soon
as the write is committed."""


def write_before_commit(
    *, schedule: Schedule, hint: Schedule | None = None
) -> Callable[[AsyncSession], Awaitable[None]]:
    """The transaction boundary's step (``Database.before_commit``, hooked in by the wiring):
    decide and append the entries of everything the transaction touched, right before it
    commits; after the commit, ``schedule`` the snapshot updates of users who keep one and
    ``hint`` the users whose logs grew (other than by ``LIVE_ENTITIES``), once each."""

    async def write(session: AsyncSession) -> None:
        pending: dict[Key, Touch] | None = session.info.pop(PENDING_KEY, None)
        if not pending:
            return
        if len(CHANGED):
            changed = {(entity, id_) for (_, entity, id_), how in pending.items() if how.changed}
            if changed:
                for plug in CHANGED:
                    await plug(session, changed)
        keeping, grown = await session.run_sync(_decide_and_append, pending)
        if keeping:
            users = sorted(keeping)

            async def update_snapshots() -> None:
                await schedule(users)

            outbox(session).after_commit(update_snapshots)
        if grown and hint is not None:
            hinted = sorted(grown)
            send = hint

            async def send_hints() -> None:
                await send(hinted)

            outbox(session).after_commit(send_hints)

    return write


def _decide_and_append(
    session: Session, pending: dict[Key, Touch]
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """(users who keep a snapshot, users with an entry of an entity not in LIVE_ENTITIES)."""
    entries = decide(session, pending)
    if not entries:
        return set(), set()
    grown = {entry.user_id for entry in entries if entry.entity not in LIVE_ENTITIES}
    return append(session, entries), grown
