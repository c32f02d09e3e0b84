"""Exports as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from bca.rights.models import DataExport


class ExportRead(BaseModel):
    id: uuid.UUID
    status: Literal["pending", "ready", "failed"]
    created_at: datetime
    ready_at: datetime | None = None
    expires_at: datetime | None = None
    """Downloadable until then; deleted after."""
    size: int | None = None
    sha256: str | None = None
    download_url: str | None = None
    """``/v1/me/exports/{id}/download`` while it is ready (signed in, as the other routes)."""

    @classmethod
    def from_row(cls, row: DataExport, *, public_url: str) -> ExportRead:
        ready = row.status == "ready"
        return cls(
            id=row.id,
            status=row.status,
            created_at=row.created_at,
            ready_at=row.ready_at,
            expires_at=row.expires_at,
            size=row.size,
            sha256=row.sha256,
            download_url=(
                f"{public_url.rstrip('/')}/v1/me/exports/{row.id}/download" if ready else None
            ),
        )


class ExportList(BaseModel):
    exports: list[ExportRead]
