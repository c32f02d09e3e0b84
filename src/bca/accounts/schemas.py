from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from bca.core.text import NOT_BLANK

USERNAME_PATTERN = r"^[a-z0-9_.]{3,32}$"

Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Password = Annotated[str, Field(min_length=8, max_length=128)]
Nickname = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK)
]
DeviceName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str, *, username: str, email: str) -> str | None:
    lowered = password.lower()
    if lowered in (username.lower(), email.lower()):
        return "The password must not equal the username or the email address."
    return None


class SignupRequest(Input):
    email: EmailStr = Field(max_length=320)
    username: Username
    password: Password
    nickname: Nickname | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return normalize_email(value)

    @model_validator(mode="after")
    def _password_differs(self) -> Self:
        problem = password_problem(self.password, username=self.username, email=self.email)
        if problem:
            raise ValueError(problem)
        return self


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    username: str
    nickname: str | None
    email_verified: bool
    role: Literal["user", "admin"]
    created_at: datetime


class AdminUserRead(UserRead):
    locked: bool
    deactivated: bool


class AvailabilityQuery(BaseModel):
    email: EmailStr | None = Field(default=None, max_length=320)
    username: Username | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return None if value is None else normalize_email(value)

    @model_validator(mode="after")
    def _at_least_one(self) -> Self:
        if self.email is None and self.username is None:
            raise ValueError("Ask about an email address, a username or both.")
        return self


class Availability(BaseModel):
    """True when free; a field that was not asked about is left out."""

    email: bool | SkipJsonSchema[None] = None
    username: bool | SkipJsonSchema[None] = None


class TokenRequest(Input):
    token: Annotated[str, Field(min_length=1, max_length=200)]


class ResendRequest(Input):
    login: Annotated[str, Field(min_length=1, max_length=320)]


class SigninRequest(Input):
    login: Annotated[str, Field(min_length=1, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=128)]
    device_name: DeviceName | None = None


class RefreshRequest(Input):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  # a scheme name, not a secret
    expires_in: int
    session_id: uuid.UUID
    user: UserRead


class SessionRead(BaseModel):
    id: uuid.UUID
    device_name: str | None
    created_at: datetime
    last_used_at: datetime
    current: bool


class PushTokenRequest(Input):
    token: Annotated[str, Field(min_length=1, max_length=4096)]
    platform: Literal["android", "ios", "web"]


class PasswordChangeRequest(Input):
    current_password: Annotated[str, Field(min_length=1, max_length=128)]
    new_password: Password


class PasswordResetRequest(Input):
    email: EmailStr = Field(max_length=320)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return normalize_email(value)


class PasswordResetConfirm(Input):
    token: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: Password


class MeUpdate(Input):
    nickname: Nickname | None = None


class DeactivateRequest(Input):
    password: Annotated[str, Field(min_length=1, max_length=128)]


class LockRequest(Input):
    locked: bool


AppPasswordName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK)
]


class AppPasswordCreate(Input):
    name: AppPasswordName


class AppPasswordRead(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None


class CardDavSetup(BaseModel):
    """What a contacts app needs besides an app password: the server address and the username."""

    server_url: str
    username: str
    email: str


class AppPasswordCreated(AppPasswordRead):
    """Returned once, at creation: the secret is stored hashed and cannot be shown again."""

    password: str
    username: str
    server_url: str
