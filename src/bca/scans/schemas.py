from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from bca.contacts.schemas import ContactUpdate
from bca.scans.models import Scan


class ScanCreated(BaseModel):
    id: uuid.UUID
    status: Literal["pending", "done", "failed"]


class Suggestion(BaseModel):
    """A public card of a B.Ca profile that holds a scanned email address or phone number:
    subscribing to it keeps the card current, unlike a paper contact."""

    card_id: uuid.UUID
    profile_id: uuid.UUID
    card_name: str
    profile_name: str
    matched: Literal["email", "phone"]
    value: str


class ScanRead(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID
    status: Literal["pending", "done", "failed"]
    failure: str | None
    fields: dict[str, Any] | None
    """``name``, ``organization``, ``title``, ``address``: ``{value, confidence}`` or null;
    ``phones`` and ``emails``: lists of ``{value: {value, type?}, confidence}``; ``urls``: lists
    of ``{value, confidence}``. Confidences run from 0 to 1."""
    raw_text: str | None
    suggestions: list[Suggestion]
    image_url: str
    contact_id: uuid.UUID | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, scan: Scan, *, suggestions: list[Suggestion], image_url: str) -> ScanRead:
        return cls(
            id=scan.id,
            profile_id=scan.profile_id,
            status=scan.status,
            failure=scan.failure,
            fields=scan.fields,
            raw_text=scan.raw_text,
            suggestions=suggestions,
            image_url=image_url,
            contact_id=scan.contact_id,
            created_at=scan.created_at,
            finished_at=scan.finished_at,
        )


class ScanAccept(ContactUpdate):
    """The contact to create: any field sent replaces the scan's proposal for it (``null``
    clears a proposed text); fields left out take the proposal."""
