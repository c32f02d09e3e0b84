"""Ports and adapters: every external service the app talks to, behind one small interface
each, and the bag that carries them to services (:class:`Backends`).

This package imports nothing above ``core`` and ``settings``: ``bca.wiring`` (the entry
level) chooses the adapters from settings, builds the bag and closes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass

from sqlalchemy import text

from bca.backends.cache import Cache
from bca.backends.mail import Mailer
from bca.backends.pubsub import ChatEvents
from bca.backends.push import PushSender
from bca.backends.storage import Storage
from bca.backends.tasks import TaskQueue
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
    events: ChatEvents

    async def close(self) -> None:
        """Stop listening first, then close each service (the hub needs the cache)."""
        await self.events.close()
        await self.tasks.close()
        await self.push.close()
        await self.storage.close()
        await self.cache.close()
        await self.database.dispose()


READINESS_TIMEOUT_SECONDS = 3.0


async def readiness(backends: Backends) -> dict[str, str]:
    """``ok`` or ``down`` for each backend, checked at once, each within a few seconds."""

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
    return {
        name: "down" if isinstance(result, BaseException) else "ok"
        for name, result in zip(checks, results, strict=True)
    }
