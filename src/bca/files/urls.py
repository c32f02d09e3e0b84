"""The public address of a stored file, as every API shape that points at one gives it."""

from __future__ import annotations

import uuid


def file_url(public_url: str, file_id: uuid.UUID) -> str:
    return f"{public_url.rstrip('/')}/v1/files/{file_id}"


def optional_file_url(public_url: str, file_id: uuid.UUID | None) -> str | None:
    return None if file_id is None else file_url(public_url, file_id)
