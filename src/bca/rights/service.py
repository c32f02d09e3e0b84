"""Exports: asking for one, listing them, downloading one; building, mailing and forgetting
them is the worker's (``bca.rights.tasks``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.accounts.rate_limits import rate_limiter
from bca.backends import Backends
from bca.backends.storage import open_read_ahead
from bca.backends.tasks import enqueue_after_commit
from bca.core.ratelimit import Limit
from bca.core.time import utcnow
from bca.rights.errors import ExportNotFound, ExportPending
from bca.rights.models import DataExport

EXPORTS_PER_USER = Limit(3, 24 * 3600)
"""Exports a person may ask for in a day (each reads everything of theirs)."""
KEPT = timedelta(days=7)
"""An export is downloadable this long after it is ready, then deleted."""
LISTED = 20
PRESIGNED_URL_TTL_SECONDS = 300


def export_key(user_id: uuid.UUID, export_id: uuid.UUID) -> str:
    return f"{export_prefix(user_id)}{export_id}.zip"


def export_prefix(user_id: uuid.UUID) -> str:
    """Where every export of the user is kept."""
    return f"exports/{user_id}/"


def download_name(export: DataExport) -> str:
    return f"bca-export-{export.created_at:%Y%m%d}.zip"


async def request_export(session: AsyncSession, backends: Backends, *, user: User) -> DataExport:
    """One export at a time (409 ``export_pending``), three a day (429); built by the worker
    after the commit."""
    pending = await session.scalar(
        select(DataExport.id)
        .where(DataExport.user_id == user.id, DataExport.status == "pending")
        .limit(1)
    )
    if pending is not None:
        raise ExportPending()
    await rate_limiter(backends).hit("exports", str(user.id), EXPORTS_PER_USER)
    export = DataExport(user_id=user.id, status="pending", created_at=utcnow())
    session.add(export)
    await session.flush()
    enqueue_after_commit(session, backends.tasks, "rights.build_export", export_id=str(export.id))
    return export


async def list_exports(session: AsyncSession, *, user: User) -> Sequence[DataExport]:
    """The latest exports, newest first (expired ones are deleted by the worker)."""
    rows = await session.scalars(
        select(DataExport)
        .where(DataExport.user_id == user.id)
        .order_by(DataExport.created_at.desc(), DataExport.id.desc())
        .limit(LISTED)
    )
    return rows.all()


@dataclass(frozen=True)
class ExportDownload:
    export: DataExport
    redirect_url: str | None = None
    body: AsyncIterator[bytes] | None = None


async def open_export(
    session: AsyncSession, backends: Backends, *, user: User, export_id: uuid.UUID
) -> ExportDownload:
    """A ready export of the caller's, within its week: a pre-signed URL (S3) or its bytes."""
    export = await session.get(DataExport, export_id)
    now = utcnow()
    if (
        export is None
        or export.user_id != user.id
        or export.status != "ready"
        or export.storage_key is None
        or (export.expires_at is not None and export.expires_at <= now)
    ):
        raise ExportNotFound()
    filename = download_name(export)
    url = await backends.storage.presigned_url(
        export.storage_key,
        expires_in=PRESIGNED_URL_TTL_SECONDS,
        content_disposition=f'attachment; filename="{filename}"',
    )
    if url is not None:
        return ExportDownload(export, redirect_url=url)
    try:
        body = await open_read_ahead(backends.storage, export.storage_key)
    except KeyError:
        raise ExportNotFound() from None
    return ExportDownload(export, body=body)
