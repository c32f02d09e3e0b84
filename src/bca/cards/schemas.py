from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

from bca.cards.models import Card, Subscription
from bca.core.text import NOT_BLANK
from bca.core.time import utcnow
from bca.files.urls import optional_file_url

MAX_CARD_DATA_BYTES = 16 * 1024

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK)
]
Part = Annotated[str, StringConstraints(max_length=100)]
Text = Annotated[str, StringConstraints(max_length=200)]
Value = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320, pattern=NOT_BLANK)
]
TypeLabel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=NOT_BLANK)
]
Note = Annotated[str, StringConstraints(max_length=4000)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """Well-known keys are checked; any other key is the client's own and kept as sent."""

    model_config = ConfigDict(extra="allow")


class TypedValue(Open):
    """An email address, phone number or URL with an optional kind.

    ``type`` is free text; the vCard export maps ``work``, ``home``, ``cell``/``mobile``,
    ``voice``, ``fax``, ``pager``, ``text``, ``video`` and ``textphone`` to vCard ``TYPE``
    values and leaves others out.
    """

    value: Value
    type: TypeLabel | None = None


class PostalAddress(Open):
    street: Text | None = None
    locality: Text | None = None
    region: Text | None = None
    postal_code: Text | None = None
    country: Text | None = None


class CardData(Open):
    """The contents of a card: free JSON with a set of well-known keys.

    Any key may be stored (at most 16 KiB of JSON in all); these are understood by the
    server, validated on input and mapped by the vCard export (``GET /v1/cards/{id}/vcard``)
    and the public card page:

    | key | type | vCard 4.0 |
    |---|---|---|
    | `given_name`, `family_name` | string | `N` (given, family) |
    | `additional_names` | string or list of strings | `N` (additional names) |
    | `honorific_prefix`, `honorific_suffix` | string | `N` (prefixes, suffixes) |
    | `title` | string | `TITLE` |
    | `organization`, `department` | string | `ORG:organization;department` |
    | `emails` | list of `{value, type?}` | `EMAIL;TYPE=...` |
    | `phones` | list of `{value, type?}` | `TEL;VALUE=text;TYPE=...` |
    | `urls` | list of strings or `{value, type?}` | `URL` |
    | `address` | `{street, locality, region, postal_code, country}` | `ADR` |
    | `note` | string | `NOTE` |

    The formatted name (`FN`) is built from the name parts, else the organisation, else the
    card's `name`. Example:
    `{"given_name": "Ada", "family_name": "Lovelace", "organization": "Analytical Engines",
    "emails": [{"value": "ada@example.com", "type": "work"}]}`.
    """

    given_name: Part | None = None
    family_name: Part | None = None
    additional_names: Part | Annotated[list[Part], Field(max_length=10)] | None = None
    honorific_prefix: Part | None = None
    honorific_suffix: Part | None = None
    title: Text | None = None
    organization: Text | None = None
    department: Text | None = None
    emails: Annotated[list[TypedValue], Field(max_length=20)] | None = None
    phones: Annotated[list[TypedValue], Field(max_length=20)] | None = None
    urls: Annotated[list[Url | TypedValue], Field(max_length=20)] | None = None
    address: PostalAddress | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _size(self) -> Self:
        if len(json.dumps(self.stored(), separators=(",", ":")).encode()) > MAX_CARD_DATA_BYTES:
            raise ValueError(f"data must serialize to at most {MAX_CARD_DATA_BYTES} bytes of JSON")
        return self

    def stored(self) -> dict[str, Any]:
        """What is kept: exactly the keys the client sent, well-known ones normalised."""
        return self.model_dump(mode="json", exclude_unset=True)


class CardCreate(Input):
    name: Name
    data: CardData = Field(default_factory=CardData)
    private: bool = False


class CardUpdate(Input):
    """Only the fields sent change; ``data`` is replaced as a whole."""

    name: Name | SkipJsonSchema[None] = None
    data: CardData | SkipJsonSchema[None] = None
    private: bool | SkipJsonSchema[None] = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, values: Any) -> Any:
        if isinstance(values, dict):
            for key in ("name", "data", "private"):
                if key in values and values[key] is None:
                    raise ValueError(f"{key} may be left out but not set to null")
        return values


class VerifiedEmail(BaseModel):
    """One of the card's addresses, proven read by its owner (a mailed code or link).

    ``work`` is false at a free-mail domain (gmail.com, naver.com ...): such an address proves
    ownership, not an employer. A verification lasts 365 days (``expires_at``); changing or
    removing the address on the card clears it. Offline copies compare ``expires_at`` with
    the clock: an expired entry leaves the card within the hour."""

    email: str
    domain: str
    verified_at: datetime
    expires_at: datetime
    work: bool


def current_verified(stored: list[dict[str, Any]], *, now: datetime) -> list[VerifiedEmail]:
    """The card's verified addresses that have not expired at ``now``."""
    entries = [VerifiedEmail.model_validate(entry) for entry in stored or ()]
    return [entry for entry in entries if entry.expires_at > now]


class CardRead(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID
    name: str
    data: dict[str, Any]
    preview_url: str | None
    private: bool
    version: int
    created_at: datetime
    updated_at: datetime
    verified: list[VerifiedEmail]

    @classmethod
    def from_row(cls, card: Card, *, public_url: str) -> CardRead:
        return cls(
            id=card.id,
            profile_id=card.profile_id,
            name=card.name,
            data=card.data,
            preview_url=optional_file_url(public_url, card.preview_file_id),
            private=card.private,
            version=card.version,
            created_at=card.created_at,
            updated_at=card.updated_at,
            verified=current_verified(card.verified_emails, now=utcnow()),
        )


class ShareLinkRead(BaseModel):
    token: str
    url: str


class SubscriptionRead(BaseModel):
    card: CardRead
    subscribed_at: datetime


class SubscriptionEntry(BaseModel):
    """A wallet entry as offline sync holds it: the card itself is its own entity."""

    profile_id: uuid.UUID
    card_id: uuid.UUID
    subscribed_at: datetime

    @classmethod
    def from_row(cls, subscription: Subscription) -> SubscriptionEntry:
        return cls.model_validate(subscription, from_attributes=True)


class SubscriberRead(BaseModel):
    profile_id: uuid.UUID
    subscribed_at: datetime


class VerificationRequest(Input):
    """One of the card's email addresses (as written in ``data.emails``)."""

    email: Value


class VerificationConfirm(Input):
    email: Value
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)]


class VerificationSent(BaseModel):
    """A code and a link are on their way to ``email``; both work until ``expires_at``."""

    email: str
    expires_at: datetime
