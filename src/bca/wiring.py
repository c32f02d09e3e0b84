"""Builds everything a process runs on, from settings, and nothing else does.

The entry points (``bca serve`` through the app, ``bca worker``, the Lambda handler, the CLI's
commands, the tests) call :func:`create_backends` and later ``Backends.close()``. Here the
adapters are chosen (in-process or Redis cache, local folder or S3, in-process tasks or Celery,
console, SMTP or SES mail, FCM or no push), the realtime hub is made, the sync change log
is hooked into the transaction boundary, and the domains are assembled (``bca.domains``).
Lower layers only see the ports.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from bca.backends import Backends
from bca.backends.cache import create_cache
from bca.backends.celery import create_producer
from bca.backends.mail import create_mailer
from bca.backends.pubsub import publish_sync_hints
from bca.backends.push import create_push_sender
from bca.backends.storage import create_storage
from bca.backends.tasks import InProcessTaskQueue, TaskQueue
from bca.backends.webpush import create_web_push_sender
from bca.chat.event_reads import typing_audience
from bca.core.db import Database
from bca.core.domain import Domain
from bca.core.security import Passwords
from bca.domains import DOMAINS, assemble
from bca.realtime.hub import Hub
from bca.settings import Settings
from bca.sync import changelog, snapshots


def create_passwords(settings: Settings) -> Passwords:
    return Passwords(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )


def create_backends(settings: Settings, *, domains: Sequence[Domain] = DOMAINS) -> Backends:
    assemble(domains)
    database = Database(settings.resolved_database_url, pool_size=settings.database_pool_size)
    cache = create_cache(settings.redis_url)
    backends = Backends(
        settings=settings,
        database=database,
        cache=cache,
        mailer=create_mailer(settings),
        storage=create_storage(settings),
        push=create_push_sender(settings),
        passwords=create_passwords(settings),
        tasks=_task_queue(settings, lambda: backends),
        realtime=Hub(cache, typing_audience=lambda user, chat: _typing(backends, user, chat)),
        web_push=create_web_push_sender(settings),
    )
    database.before_commit.append(
        changelog.write_before_commit(
            schedule=lambda users: snapshots.request_updates(backends, users),
            hint=lambda users: publish_sync_hints(cache, users),
        )
    )
    return backends


async def _typing(
    backends: Backends, user_id: uuid.UUID, chat_id: uuid.UUID
) -> tuple[uuid.UUID, list[uuid.UUID]] | None:
    async with backends.database.transaction() as session:
        return await typing_audience(session, user_id=user_id, chat_id=chat_id)


def _task_queue(settings: Settings, backends: Callable[[], Backends]) -> TaskQueue:
    """In-process (embedded default) or Celery when a broker is configured."""
    if settings.broker_url or settings.aws_task_sqs_url:
        return create_producer(settings)
    return InProcessTaskQueue(backends)
