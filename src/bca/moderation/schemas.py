from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bca.moderation.models import Report

Reason = Literal["spam", "harassment", "impersonation", "other"]
Kind = Literal["message", "profile", "card"]
Status = Literal["open", "dismissed", "message_removed", "card_hidden", "account_locked"]


class ReportCreate(BaseModel):
    """What is reported: ``kind`` message (``chat_id`` and ``index``), profile
    (``profile_id``) or card (``card_id``); ``profile_id`` of a message or card report, and the
    fields of the other kinds, must be left out."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    reason: Reason
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    chat_id: uuid.UUID | None = None
    index: Annotated[int, Field(ge=1)] | None = None
    profile_id: uuid.UUID | None = None
    card_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _target(self) -> Self:
        given = {
            "message": (self.chat_id, self.index),
            "profile": (self.profile_id,),
            "card": (self.card_id,),
        }
        for kind, values in given.items():
            present = [value is not None for value in values]
            if kind == self.kind and not all(present):
                raise ValueError(f"a {kind} report names its {kind}")
            if kind != self.kind and any(present):
                raise ValueError(f"a {self.kind} report names nothing else")
        return self


class ReportRead(BaseModel):
    """A report as its reporter sees it: ``status`` is the outcome (``open`` until a moderator
    acted: ``dismissed``, ``message_removed``, ``card_hidden`` or ``account_locked``)."""

    id: uuid.UUID
    kind: Kind
    reason: Reason
    text: str | None
    chat_id: uuid.UUID | None
    index: int | None
    profile_id: uuid.UUID
    card_id: uuid.UUID | None
    message_body: str | None
    status: Status
    created_at: datetime
    resolved_at: datetime | None

    @classmethod
    def from_row(cls, report: Report) -> ReportRead:
        return cls(
            id=report.id,
            kind=report.kind,
            reason=report.reason,
            text=report.text,
            chat_id=report.chat_id,
            index=report.message_index,
            profile_id=report.profile_id,
            card_id=report.card_id,
            message_body=report.message_body,
            status=report.status,
            created_at=report.created_at,
            resolved_at=report.resolved_at,
        )
