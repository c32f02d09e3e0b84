"""What a contact looks like over HTTP and in offline sync.

Emails and phones are ``{value, type?}`` as on cards (``CardData``), so that clients show
both alike and the vCard export treats them the same.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bca.cards.schemas import Note, TypedValue, Url
from bca.contacts.models import Contact
from bca.files.urls import optional_file_url

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Phones = Annotated[list[TypedValue], Field(max_length=20)]
Emails = Annotated[list[TypedValue], Field(max_length=20)]
Urls = Annotated[list[Url], Field(max_length=20)]


class ContactFields(BaseModel):
    """The fields of a contact; ``name`` is what the person is listed under."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    organization: Text | None = None
    title: Text | None = None
    phones: Phones = Field(default_factory=list)
    emails: Emails = Field(default_factory=list)
    urls: Urls = Field(default_factory=list)
    address: Address | None = None
    note: Note | None = None


class ContactCreate(ContactFields):
    pass


class ContactUpdate(BaseModel):
    """Only the fields sent change; lists are replaced as a whole, ``null`` clears a text."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    organization: Text | None = None
    title: Text | None = None
    phones: Phones | None = None
    emails: Emails | None = None
    urls: Urls | None = None
    address: Address | None = None
    note: Note | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_null_name_or_lists(cls, values: Any) -> Any:
        if isinstance(values, dict):
            for key in ("name", "phones", "emails", "urls"):
                if key in values and values[key] is None:
                    raise ValueError(f"{key} may be left out but not set to null")
        return values

    def changes(self) -> dict[str, Any]:
        """The sent fields, as stored."""
        return self.model_dump(mode="json", exclude_unset=True)


class ContactRead(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID
    name: str
    organization: str | None
    title: str | None
    phones: list[dict[str, Any]]
    emails: list[dict[str, Any]]
    urls: list[str]
    address: str | None
    note: str | None
    image_url: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, contact: Contact, *, public_url: str) -> ContactRead:
        return cls(
            id=contact.id,
            profile_id=contact.profile_id,
            name=contact.name,
            organization=contact.organization,
            title=contact.title,
            phones=contact.phones,
            emails=contact.emails,
            urls=contact.urls,
            address=contact.address,
            note=contact.note,
            image_url=optional_file_url(public_url, contact.image_file_id),
            version=contact.version,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
        )
