"""Every external service the app talks to, chosen once at start-up from settings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field

from sqlalchemy import text

from bca.backends.cache import Cache, create_cache
from bca.backends.mail import Mailer, create_mailer
from bca.backends.push import PushSender, create_push_sender
from bca.backends.storage import Storage, create_storage
from bca.backends.tasks import InProcessTaskQueue, TaskQueue
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
    tasks: TaskQueue = field(init=False)

    async def close(self) -> None:
        # Imported here: the hub builds on these backends (an import cycle otherwise).
        from bca.realtime.hub import stop_hub

        await stop_hub(self)
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


def create_task_queue(backends: Backends) -> TaskQueue:
    """In-process (embedded default) or Celery when a broker is configured."""
    settings = backends.settings
    if settings.broker_url or settings.aws_task_sqs_url:
        from bca.worker.celery_app import create_task_queue as create_celery_queue

        return create_celery_queue(settings)
    return InProcessTaskQueue(lambda: backends)


def create_passwords(settings: Settings) -> Passwords:
    return Passwords(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )


def create_backends(settings: Settings) -> Backends:
    backends = Backends(
        settings=settings,
        database=Database(settings.resolved_database_url, pool_size=settings.database_pool_size),
        cache=create_cache(settings.redis_url),
        mailer=create_mailer(settings),
        storage=create_storage(settings),
        push=create_push_sender(settings),
        passwords=create_passwords(settings),
    )
    backends.tasks = create_task_queue(backends)
    # Sessions carry the backends so that the change log can enqueue snapshot updates after
    # their commit (see bca.sync.changelog); nothing else reads it.
    backends.database.sessionmaker.configure(info={"bca.backends": backends})
    return backends
