from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

B64Url = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+={0,2}$", max_length=128)]


class WebPushKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p256dh: B64Url = Field(description="The browser's P-256 public key (base64url).")
    auth: Annotated[B64Url, StringConstraints(max_length=64)] = Field(
        description="The browser's 16-byte authentication secret (base64url)."
    )


class WebPushSubscriptionCreate(BaseModel):
    """What ``PushManager.subscribe()`` gave the browser (``subscription.toJSON()``)."""

    model_config = ConfigDict(extra="ignore")

    endpoint: Annotated[str, StringConstraints(max_length=2048)] = Field(
        description="The push service's URL for this browser: https on a known push service."
    )
    keys: WebPushKeys
    previews: bool = Field(
        default=False, description="Show the message's text in notifications (default: not)."
    )


class WebPushSubscriptionRead(BaseModel):
    id: uuid.UUID


class WebPushKey(BaseModel):
    key: str = Field(description="The server's VAPID public key (base64url, uncompressed P-256).")
