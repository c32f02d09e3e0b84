"""Ports and adapters: every external service the app talks to, behind one small interface
each, and the bag that carries them to services (:class:`Backends`).

This package imports nothing above ``core`` and ``settings``: ``bca.wiring`` (the entry
level) chooses the adapters from settings, builds the bag and closes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field

from sqlalchemy import text

from bca.backends.cache import Cache
from bca.backends.mail import Mailer
from bca.backends.pubsub import ChatEvents
from bca.backends.push import PushSender
from bca.backends.storage import NotReady, Storage
from bca.backends.tasks import TaskQueue
from bca.backends.webpush import NullWebPushSender, WebPushSender
from bca.core.db import Database
from bca.core.security import Passwords
from bca.settings import Settings


@dataclass
class Backends:
    settings: Settings
    database: Database
    cache: Cache
    mailer: Mailer
    storage: Storage
    push: PushSender
    passwords: Passwords
    tasks: TaskQueue
    realtime: ChatEvents
    """The realtime hub: live chat events for sockets and long-polls."""
    web_push: WebPushSender = field(default_factory=NullWebPushSender)

    async def close(self) -> None:
        """Stop listening first, then close each service (the hub needs the cache)."""
        await self.realtime.close()
        await self.tasks.close()
        await self.push.close()
        await self.web_push.close()
        await self.storage.close()
        await self.cache.close()
        await self.database.dispose()


READINESS_TIMEOUT_SECONDS = 3.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    """Each backend ``ok`` or ``down`` (``checks``), and for each one down a short reason fit
    for a public answer (``reasons``: ``bucket_missing``, ``timeout``, ``ConnectionError``...).
    The operator's log gets the whole story, once each time a backend goes down."""

    checks: dict[str, str]
    reasons: dict[str, str]


_REPORTED: dict[str, str] = {}
"""What this process last logged about each backend: a poller of /readyz every few seconds
gets one line when something goes down (and one when it is back), not one per poll."""


def _reason(error: BaseException) -> tuple[str, str]:
    if isinstance(error, NotReady):
        return error.reason, error.detail
    if isinstance(error, TimeoutError):
        return "timeout", f"no answer within {READINESS_TIMEOUT_SECONDS:g} s"
    return type(error).__name__, f"{type(error).__name__}: {error}"


async def readiness(backends: Backends) -> dict[str, str]:
    """``ok`` or ``down`` for each backend, checked at once, each within a few seconds."""
    return (await readiness_report(backends)).checks


async def readiness_report(backends: Backends) -> Readiness:
    """``readiness`` with the reasons, logged when a backend goes down or comes back."""

    async def database() -> None:
        async with backends.database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    checks: dict[str, Awaitable[None]] = {
        "database": database(),
        "cache": backends.cache.ping(),
        "storage": backends.storage.ping(),
        "broker": backends.tasks.ping(),
    }
    results = await asyncio.gather(
        *(asyncio.wait_for(check, READINESS_TIMEOUT_SECONDS) for check in checks.values()),
        return_exceptions=True,
    )
    report = Readiness(checks={}, reasons={})
    for name, result in zip(checks, results, strict=True):
        if isinstance(result, BaseException):
            reason, detail = _reason(result)
            report.checks[name] = "down"
            report.reasons[name] = reason
            if _REPORTED.get(name) != detail:
                logger.warning("readiness: %s is down: %s", name, detail)
                _REPORTED[name] = detail
        else:
            report.checks[name] = "ok"
            if _REPORTED.pop(name, None) is not None:
                logger.info("readiness: %s is back", name)
    return report
