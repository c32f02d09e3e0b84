"""Every SQL statement of sync: the log by cursor, visible rows, snapshot pointers, compaction."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.core.db import insert_ignoring_conflicts
from bca.core.time import utcnow
from bca.sync import visibility
from bca.sync.models import Change, ChangeCounter, Snapshot

_PerUser = TypeVar("_PerUser", ChangeCounter, Snapshot)


async def _fresh(
    session: AsyncSession, model: type[_PerUser], user_id: uuid.UUID
) -> _PerUser | None:
    """The user's row as the database has it now, not as an earlier read left it in the
    session (another transaction may have moved it since)."""
    row: _PerUser | None = await session.scalar(
        select(model).where(model.user_id == user_id).execution_options(populate_existing=True)
    )
    return row


async def get_counter(session: AsyncSession, user_id: uuid.UUID) -> ChangeCounter | None:
    return await _fresh(session, ChangeCounter, user_id)


async def read_log(
    session: AsyncSession, user_id: uuid.UUID, *, since: int, limit: int
) -> Sequence[Change]:
    """Entries after ``since`` in order: one range scan of the (user_id, seq) primary key."""
    return (
        await session.scalars(
            select(Change)
            .where(Change.user_id == user_id, Change.seq > since)
            .order_by(Change.seq)
            .limit(limit)
        )
    ).all()


async def visible_rows(
    session: AsyncSession, user_id: uuid.UUID, entity: str, keys: Collection[str] | None
) -> Sequence[Row[Any]]:
    """The rows of the entities of one type that ``user_id`` sees now (``keys=None``: all)."""
    rows: Sequence[Row[Any]] = (
        await session.execute(*visibility.statement(entity, [user_id], keys))
    ).all()
    return rows


# --- snapshot pointers ----------------------------------------------------------------------


async def get_snapshot(session: AsyncSession, user_id: uuid.UUID) -> Snapshot | None:
    return await _fresh(session, Snapshot, user_id)


async def user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(User.id == user_id))))


async def ensure_snapshot_row(
    session: AsyncSession, user_id: uuid.UUID, *, rebuild: bool = False
) -> Snapshot:
    """The user's pointer row, created (empty) on first use. Concurrent first uses (two
    devices, or a request beside the worker) insert it once: the loser's insert does nothing."""
    snapshot = await get_snapshot(session, user_id)
    if snapshot is None:
        await session.execute(
            insert_ignoring_conflicts(session, Snapshot).values(
                user_id=user_id,
                cursor=0,
                schema_version=1,
                rebuild_requested=True,
                created_at=utcnow(),
            )
        )
        snapshot = await _fresh(session, Snapshot, user_id)
        assert snapshot is not None, "inserted above or by a concurrent transaction"
    elif rebuild:
        snapshot.rebuild_requested = True
        await session.flush()
    return snapshot


async def clear_rebuild_request(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(Snapshot).where(Snapshot.user_id == user_id).values(rebuild_requested=False)
    )


async def switch_snapshot(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    expected_key: str | None,
    new_key: str,
    cursor: int,
    etag: str,
    schema_version: int,
) -> bool:
    """Point the user at the new file, unless someone else switched it meanwhile."""
    condition = (
        Snapshot.storage_key.is_(None)
        if expected_key is None
        else Snapshot.storage_key == expected_key
    )
    result = await session.execute(
        update(Snapshot)
        .where(Snapshot.user_id == user_id, condition)
        .values(
            storage_key=new_key,
            cursor=cursor,
            etag=etag,
            schema_version=schema_version,
            built_at=utcnow(),
        )
        .returning(Snapshot.user_id)
    )
    return result.first() is not None


# --- compaction -----------------------------------------------------------------------------


async def users_with_old_entries(
    session: AsyncSession, *, older_than: datetime, after: uuid.UUID | None, limit: int
) -> Sequence[uuid.UUID]:
    query = select(ChangeCounter.user_id).where(
        exists().where(
            Change.user_id == ChangeCounter.user_id,
            Change.seq > ChangeCounter.compacted_through,
            Change.created_at < older_than,
        )
    )
    if after is not None:
        query = query.where(ChangeCounter.user_id > after)
    return (await session.scalars(query.order_by(ChangeCounter.user_id).limit(limit))).all()


async def compaction_horizon(
    session: AsyncSession, user_id: uuid.UUID, *, older_than: datetime, keep_last: int
) -> int:
    """The highest seq that may go: older than the cutoff and not among the last ``keep_last``."""
    counter = await get_counter(session, user_id)
    if counter is None:
        return 0
    by_age = await session.scalar(
        select(func.max(Change.seq)).where(
            Change.user_id == user_id, Change.created_at < older_than
        )
    )
    horizon = min(int(by_age or 0), counter.last_seq - keep_last)
    return max(horizon, counter.compacted_through)


async def compact(session: AsyncSession, user_id: uuid.UUID, *, through: int) -> int:
    """Drop the entries up to ``through``; cursors at or below it answer 410 from now on.

    What the user holds is kept apart (``sync_held_entities``), so nothing in the log has to
    survive for the write path's sake.
    """
    result = await session.execute(
        delete(Change)
        .where(Change.user_id == user_id, Change.seq <= through)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ChangeCounter)
        .where(ChangeCounter.user_id == user_id, ChangeCounter.compacted_through < through)
        .values(compacted_through=through)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def bulk_insert_changes(session: AsyncSession, rows: Sequence[dict[str, object]]) -> None:
    """For benchmarks and tests that need a large log without running the writers."""
    if rows:
        await session.execute(insert(Change), list(rows))
