"""The worker's part of exports: build one (``rights.build_export``), forget expired ones
(``rights.purge_exports``)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import select

from bca.accounts.models import User
from bca.backends import Backends
from bca.backends.storage import CHUNK_SIZE
from bca.backends.tasks import enqueue_after_commit
from bca.core.time import isoformat, utcnow
from bca.rights.export import file_chunks, write_export
from bca.rights.models import DataExport
from bca.rights.service import KEPT, export_key

logger = logging.getLogger(__name__)

MAX_EXPORT_BYTES = 1 << 40
"""No limit in practice: the export is what the person has."""


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


async def build_export(backends: Backends, *, export_id: str) -> None:
    """Write the ZIP to a temporary file, stream it to storage, mark the export ready and mail
    its owner. Idempotent: an export that is not pending any more is left alone."""
    async with backends.database.transaction() as session:
        export = await session.get(DataExport, uuid.UUID(export_id))
        if export is None or export.status != "pending":
            return
        user = await session.get(User, export.user_id)
        if user is None:
            return
        user_id, email, created_at = user.id, user.email, export.created_at
    key = export_key(user_id, uuid.UUID(export_id))
    with tempfile.TemporaryDirectory(prefix="bca-export-") as folder:
        path = Path(folder) / "export.zip"
        try:
            async with backends.database.transaction() as session:
                user = await session.get(User, user_id)
                assert user is not None
                with path.open("wb") as sink:
                    manifest = await write_export(
                        session, backends.storage, user=user, created_at=created_at, sink=sink
                    )
            sha256 = await asyncio.to_thread(_digest, path)
            size = await backends.storage.put_stream(
                key, file_chunks(path), content_type="application/zip", max_bytes=MAX_EXPORT_BYTES
            )
        except Exception:
            logger.exception("export %s failed", export_id)
            async with backends.database.transaction() as session:
                failed = await session.get(DataExport, uuid.UUID(export_id))
                if failed is not None:
                    failed.status = "failed"
            return
    now = utcnow()
    async with backends.database.transaction() as session:
        export = await session.get(DataExport, uuid.UUID(export_id))
        if export is None:  # the account was erased meanwhile
            await backends.storage.delete(key)
            return
        export.status, export.storage_key, export.size, export.sha256 = "ready", key, size, sha256
        export.ready_at, export.expires_at = now, now + KEPT
        enqueue_after_commit(
            session,
            backends.tasks,
            "accounts.send_email",
            to=email,
            subject="Your B.Ca data export is ready",
            text=(
                "The copy of your B.Ca data you asked for is ready: "
                f"{len(manifest['tables'])} tables, {len(manifest['files'])} files.\n\n"
                "Download it in the app (Settings, Export my data) until "
                f"{isoformat(export.expires_at)}; it is deleted after that.\n"
            ),
        )
    logger.info("export %s ready (%d bytes)", export_id, size)


async def purge_exports(backends: Backends) -> None:
    """Delete the exports past their week (and failed ones older than a week), objects first."""
    horizon = utcnow()
    async with backends.database.transaction() as session:
        expired = (
            await session.scalars(
                select(DataExport)
                .where(
                    (DataExport.expires_at <= horizon)
                    | ((DataExport.status == "failed") & (DataExport.created_at <= horizon - KEPT))
                )
                .limit(500)
            )
        ).all()
        for export in expired:
            if export.storage_key is not None:
                await backends.storage.delete(export.storage_key)
            await session.delete(export)
    if expired:
        logger.info("deleted %d expired exports", len(expired))
