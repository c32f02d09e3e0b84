from __future__ import annotations

import uuid

from pydantic import BaseModel


class FileRead(BaseModel):
    """An uploaded file. ``url`` answers with the bytes (or a redirect to them) to those who
    may see the file, with the usual ``Authorization`` header."""

    id: uuid.UUID
    content_type: str
    size: int
    sha256: str
    url: str
    name: str
    """The name a download is offered under: the uploaded name, with an extension that
    matches the content."""
