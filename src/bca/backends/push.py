"""Push notifications through Firebase Cloud Messaging (HTTP v1, ``bca.backends.fcm``, imported
only when configured), or nowhere when unconfigured.

``send`` never raises for delivery problems: it answers with a ``PushResult`` so that the caller
can forget a device token FCM no longer knows (``unregistered``) and otherwise move on. Transient
trouble (throttling, FCM outages, network errors) is retried here with exponential backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bca.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    """Shown without sound, vibration or heads-up (a message request's one notice)."""


class PushResult(StrEnum):
    sent = "sent"
    unregistered = "unregistered"
    """FCM no longer knows this device token: the caller should forget it."""
    failed = "failed"


class PushSender(Protocol):
    enabled: bool
    """False when nothing would be sent: callers then skip the work that leads to a send."""

    async def send(self, message: PushMessage) -> PushResult: ...
    async def close(self) -> None: ...


def redact(token: str) -> str:
    """Enough of a device token to follow it through the logs, not enough to push to it."""
    return f"{token[:8]}…" if len(token) > 8 else token


class NullPushSender:
    """Stands in when no FIREBASE_CERTIFICATE is configured, so callers need no special case."""

    enabled = False

    def __init__(self) -> None:
        self._warned = False

    async def send(self, message: PushMessage) -> PushResult:
        if not self._warned:
            self._warned = True
            logger.info("push notifications are off: FIREBASE_CERTIFICATE is not set")
        logger.debug("push to %s dropped: push is not configured", redact(message.token))
        return PushResult.failed

    async def close(self) -> None:
        return None


def create_push_sender(settings: Settings) -> PushSender:
    if settings.firebase_certificate is None:
        return NullPushSender()
    # Imported here: google-auth and httpx take a while to load, and only this adapter needs them.
    from bca.backends.fcm import FcmPushSender

    return FcmPushSender(
        settings.firebase_certificate,
        fcm_base_url=settings.fcm_base_url,
        token_uri=settings.fcm_token_uri,
    )
