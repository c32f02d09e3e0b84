"""Background tasks of the sync domain: snapshot upkeep and change-log compaction."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from bca.backends import Backends
from bca.core.time import utcnow
from bca.sync import repository, snapshots

logger = logging.getLogger(__name__)

COMPACTION_BATCH = 200


async def update_snapshot(backends: Backends, *, user_id: str, rebuild: bool = False) -> None:
    """Patch the user's snapshot from the change log (or rebuild it); idempotent."""
    await snapshots.update_snapshot(backends, uuid.UUID(user_id), rebuild=rebuild)


async def compact_all(
    backends: Backends, *, retention_days: int | None = None, keep_last: int | None = None
) -> tuple[int, int]:
    """Compact every user's log; returns (users, entries removed). One transaction per user."""
    settings = backends.settings
    older_than = utcnow() - timedelta(days=retention_days or settings.sync_retention_days)
    keep = settings.sync_keep_last if keep_last is None else keep_last
    users = removed = 0
    after: uuid.UUID | None = None
    while True:
        async with backends.database.transaction() as session:
            batch = await repository.users_with_old_entries(
                session, older_than=older_than, after=after, limit=COMPACTION_BATCH
            )
        if not batch:
            return users, removed
        for user_id in batch:
            async with backends.database.transaction() as session:
                horizon = await repository.compaction_horizon(
                    session, user_id, older_than=older_than, keep_last=keep
                )
                removed += await repository.compact(session, user_id, through=horizon)
            users += 1
        after = batch[-1]


async def compact_changes(backends: Backends) -> None:
    """Periodic: drop change-log entries past the retention window."""
    users, removed = await compact_all(backends)
    logger.info("compacted the change logs of %d users (%d entries removed)", users, removed)
