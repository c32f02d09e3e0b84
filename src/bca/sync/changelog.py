"""Appending to users' change logs; called by every domain inside its writing transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Literal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bca.sync.models import Change, ChangeCounter

Entity = Literal["profile", "relation", "card", "subscription", "chat"]
Operation = Literal["upsert", "delete"]


async def record_change(
    session: AsyncSession,
    *,
    user_ids: Iterable[uuid.UUID],
    entity: Entity,
    entity_id: str,
    op: Operation,
) -> None:
    """Append one entry to the log of each user concerned.

    Counters are locked in user-id order so that two transactions fanning out to overlapping
    sets of users cannot deadlock.
    """
    for user_id in sorted(set(user_ids)):
        seq = await session.scalar(
            update(ChangeCounter)
            .where(ChangeCounter.user_id == user_id)
            .values(last_seq=ChangeCounter.last_seq + 1)
            .returning(ChangeCounter.last_seq)
        )
        if seq is None:
            raise LookupError(f"user {user_id} has no change counter")
        session.add(Change(user_id=user_id, seq=seq, entity=entity, entity_id=entity_id, op=op))


def create_counter(session: AsyncSession, user_id: uuid.UUID) -> None:
    session.add(ChangeCounter(user_id=user_id, last_seq=0, compacted_through=0))
