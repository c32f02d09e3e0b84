from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ChangeRead(BaseModel):
    """One entity as the caller sees it now: ``upsert`` with ``data``, or ``delete`` without."""

    entity: str = Field(description="The entity type: profile, relation, card, subscription, chat.")
    op: Literal["upsert", "delete"]
    id: str
    data: dict[str, Any] | None = None


class ChangesPage(BaseModel):
    changes: list[ChangeRead]
    cursor: str
    has_more: bool


class SnapshotPending(BaseModel):
    status: Literal["building"] = "building"
    retry_after: int
