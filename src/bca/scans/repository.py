"""Every SQL statement of scans, and the search of public cards a scan may match."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.cards.models import Card
from bca.cards.visibility import card_visible
from bca.core.db import LIKE_ESCAPE, contains_pattern
from bca.files.models import StoredFile
from bca.profiles.models import Profile
from bca.profiles.visibility import Viewer
from bca.scans.models import Scan

MAX_MATCH_CANDIDATES = 50


async def get_own(
    session: AsyncSession, user_id: uuid.UUID, scan_id: uuid.UUID, *, for_update: bool = False
) -> Scan | None:
    """The scan, when it was made for a live profile of this user."""
    query = (
        select(Scan)
        .join(Profile, Profile.id == Scan.profile_id)
        .where(Scan.id == scan_id, Profile.user_id == user_id, Profile.deleted_at.is_(None))
    )
    if for_update:
        query = query.with_for_update(of=Scan)
    scan: Scan | None = await session.scalar(query.execution_options(populate_existing=True))
    return scan


async def count_pending(session: AsyncSession, user_id: uuid.UUID, *, lock: bool) -> int:
    """The user's scans still being read; with ``lock``, under the user's row lock, so that
    the count and the insert that follows hold against concurrent uploads."""
    if lock:
        # FOR NO KEY UPDATE: the upload's row already holds a key-share lock on the user (its
        # foreign key), which FOR UPDATE would wait for: two uploads would deadlock.
        await session.execute(
            select(User.id).where(User.id == user_id).with_for_update(key_share=True)
        )
    count = await session.scalar(
        select(func.count())
        .select_from(Scan)
        .join(Profile, Profile.id == Scan.profile_id)
        .where(Profile.user_id == user_id, Scan.status == "pending")
    )
    return int(count or 0)


async def pending_with_object(session: AsyncSession, scan_id: uuid.UUID) -> tuple[Scan, str] | None:
    """A scan still waiting to be read, and the storage key of its image."""
    row = (
        await session.execute(
            select(Scan, StoredFile.storage_key)
            .join(StoredFile, StoredFile.id == Scan.file_id)
            .where(Scan.id == scan_id, Scan.status == "pending")
        )
    ).first()
    return (row[0], row[1]) if row else None


async def finish(
    session: AsyncSession,
    scan_id: uuid.UUID,
    *,
    status: str,
    finished_at: datetime,
    failure: str | None = None,
    fields: dict[str, Any] | None = None,
    raw_text: str | None = None,
) -> bool:
    """Record the outcome once: a scan already finished (a retried task) stays as it was."""
    scan: Scan | None = await session.scalar(
        select(Scan)
        .where(Scan.id == scan_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if scan is None or scan.status != "pending":
        return False
    scan.status = status
    scan.failure = failure
    scan.fields = fields
    scan.raw_text = raw_text
    scan.finished_at = finished_at
    await session.flush()
    return True


async def fail_stalled(
    session: AsyncSession, *, made_before: datetime, failure: str, finished_at: datetime
) -> int:
    """End as failed every scan still pending that was made before ``made_before``; how many.

    One ``UPDATE ... WHERE status = 'pending'``: a read that finishes at the same moment
    either wins (the scan is no longer pending) or finds it failed (``finish`` leaves it).
    """
    result = await session.execute(
        update(Scan)
        # A literal, not a bind parameter: a generic plan could not prove the partial index's
        # condition from ``status = $1`` and would read the whole table.
        .where(Scan.status == literal_column("'pending'"), Scan.created_at < made_before)
        .values(status="failed", failure=failure, finished_at=finished_at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def scan_photo_kept(file_id: Any) -> ColumnElement[bool]:
    """A scan's photo stays when the contact whose image it also is gets another image."""
    return exists().where(Scan.file_id == file_id)


async def public_cards_mentioning(
    session: AsyncSession,
    viewer: uuid.UUID,
    *,
    emails: Sequence[str],
    phone_tails: Sequence[str],
) -> Sequence[tuple[Card, Profile]]:
    """Candidates: public cards of public profiles the viewer may see, not the viewer's own,
    whose data mentions one of the emails or ends of phone numbers. The caller checks each
    candidate's fields exactly; this only narrows the search."""
    text = cast(Card.data, String)
    mentions: list[ColumnElement[bool]] = [
        *(text.ilike(contains_pattern(email), escape=LIKE_ESCAPE) for email in emails),
        *(text.like(contains_pattern(tail), escape=LIKE_ESCAPE) for tail in phone_tails),
    ]
    if not mentions:
        return []
    rows = await session.execute(
        select(Card, Profile)
        .join(Profile, Profile.id == Card.profile_id)
        .where(
            or_(*mentions),
            card_visible(Viewer(viewer)),
            Card.private.is_(False),
            Profile.private.is_(False),
            Profile.user_id != viewer,
        )
        .order_by(Card.created_at, Card.id)
        .limit(MAX_MATCH_CANDIDATES)
    )
    return [(card, profile) for card, profile in rows.all()]
