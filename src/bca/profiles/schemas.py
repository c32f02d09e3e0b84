from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from bca.core.text import NOT_BLANK
from bca.files.urls import optional_file_url
from bca.profiles.models import Profile, Relation

MAX_PROFILES_PER_USER = 20
MAX_DATA_BYTES = 16 * 1024
"""Free JSON (``data``) is for a client's own extras, not for storage: 16 KiB serialized."""

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK)
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
LongText = Annotated[str, StringConstraints(max_length=2000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
Address = Annotated[str, StringConstraints(max_length=500)]
SnsNetwork = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]{1,30}$")]
SnsHandle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK)
]
# Keys that do not match the pattern are refused, so the document says so.
Sns = Annotated[
    dict[SnsNetwork, SnsHandle],
    Field(max_length=20, json_schema_extra={"additionalProperties": False}),
]

RelationStatus = Literal["follow", "follow_requested", "hide", "block"]
SettableRelationStatus = Literal["follow", "hide", "block"]
FollowerStatus = Literal["follow", "follow_requested"]
MessageRequests = Literal["everyone", "verified_work", "nobody"]
"""Who may start a chat with a profile that does not follow them (``bca.chat.requests``)."""


def check_data_size(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value, separators=(",", ":")).encode()) > MAX_DATA_BYTES:
        raise ValueError(f"data must serialize to at most {MAX_DATA_BYTES} bytes of JSON")
    return value


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileCreate(Input):
    """A new persona; ``data`` is free JSON kept for the client (at most 16 KiB)."""

    name: Name
    team_name: ShortText | None = None
    description: LongText | None = None
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: Phone | None = None
    address: Address | None = None
    sns: Sns = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    private: bool = False

    @field_validator("data")
    @classmethod
    def _data_size(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_data_size(value)


class ProfileUpdate(Input):
    """Only the fields sent change; ``null`` clears an optional field (``name`` is required)."""

    name: Name | SkipJsonSchema[None] = None
    team_name: ShortText | None = None
    description: LongText | None = None
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: Phone | None = None
    address: Address | None = None
    sns: Sns | SkipJsonSchema[None] = None
    data: dict[str, Any] | SkipJsonSchema[None] = None
    private: bool | SkipJsonSchema[None] = None
    message_requests: MessageRequests | SkipJsonSchema[None] = None

    @field_validator("name", "sns", "data", "private", "message_requests", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not set to null")
        return value

    @field_validator("data")
    @classmethod
    def _data_size(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else check_data_size(value)


class ProfileRead(BaseModel):
    """A profile as its owner, and anyone allowed to see it in full, sees it."""

    id: uuid.UUID
    name: str
    team_name: str | None
    description: str | None
    email: str | None
    phone: str | None
    address: str | None
    sns: dict[str, str]
    data: dict[str, Any]
    image_url: str | None
    private: bool
    version: int
    created_at: datetime
    updated_at: datetime
    mine: bool
    message_requests: MessageRequests | None = Field(
        description="Who may start a chat with this profile without being followed by it "
        "(a message request): shown to the owner alone, null for everyone else."
    )

    @classmethod
    def from_row(cls, profile: Profile, *, mine: bool, public_url: str) -> ProfileRead:
        return cls(
            id=profile.id,
            name=profile.name,
            team_name=profile.team_name,
            description=profile.description,
            email=profile.email,
            phone=profile.phone,
            address=profile.address,
            sns=profile.sns,
            data=profile.data,
            image_url=optional_file_url(public_url, profile.image_file_id),
            private=profile.private,
            version=profile.version,
            created_at=profile.created_at,
            updated_at=profile.updated_at,
            mine=mine,
            message_requests=cast(MessageRequests, profile.message_requests) if mine else None,
        )


class ProfileSummary(BaseModel):
    """A private profile as everyone but its owner and accepted followers sees it."""

    id: uuid.UUID
    name: str
    image_url: str | None
    private: Literal[True]

    @classmethod
    def from_row(cls, profile: Profile, *, public_url: str) -> ProfileSummary:
        image_url = optional_file_url(public_url, profile.image_file_id)
        return cls(id=profile.id, name=profile.name, image_url=image_url, private=True)


ProfileOut = ProfileRead | ProfileSummary


class RelationUpdate(Input):
    status: SettableRelationStatus


class RelationRead(BaseModel):
    profile_id: uuid.UUID
    target_id: uuid.UUID
    status: RelationStatus
    created_at: datetime

    @classmethod
    def from_row(cls, relation: Relation) -> RelationRead:
        return cls.model_validate(relation, from_attributes=True)
