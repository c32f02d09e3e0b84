"""The task layer: tasks are declared once and run in-process or on a broker's workers.

A task is an async function ``fn(backends, **kwargs)`` declared as a :class:`Task` named
``<domain>.<verb_noun>`` and listed in its domain's manifest (``TASKS.plug(Task(...))``).
Services never call a queue directly: they use :func:`enqueue_after_commit`, so that a task is
only sent once the transaction that produced it has committed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.db import outbox
from bca.core.domain import Slot

if TYPE_CHECKING:
    from bca.backends import Backends

logger = logging.getLogger(__name__)

TaskFunction = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Task:
    name: str
    function: TaskFunction
    every: float | None = None
    """Also run it on a schedule, every that many seconds: Celery beat does on a broker, the
    in-process queue on the embedded default."""


TASKS: Slot[Task] = Slot("tasks", key=lambda task: task.name)
"""Every domain's tasks, from the manifests."""


def periodic() -> dict[str, float]:
    """The tasks that run on a schedule, with their period in seconds."""
    return {task.name: task.every for task in TASKS if task.every is not None}


class RetryableTaskError(Exception):
    """Raised by a task when a later attempt may succeed (a backend hiccup)."""


class TaskQueue(Protocol):
    async def enqueue(self, name: str, /, *, countdown: float = 0, **kwargs: Any) -> None:
        """Send task ``name`` with ``kwargs``, to start no sooner than ``countdown`` seconds."""
        ...

    async def ping(self) -> None: ...

    async def depth(self) -> int | None:
        """Tasks waiting to run, as far as the broker tells it (None when it does not)."""
        ...

    async def drain(self) -> None: ...
    async def close(self) -> None: ...

    def start_periodic(self) -> None:
        """Run the periodic tasks from now on, where this queue is the one that runs them."""
        ...


def enqueue_after_commit(session: AsyncSession, tasks: TaskQueue, name: str, **kwargs: Any) -> None:
    """Send the task once (and only if) the session's transaction commits (its outbox)."""
    if name not in TASKS:
        raise KeyError(f"unknown task {name}")

    async def send() -> None:
        await tasks.enqueue(name, **kwargs)

    outbox(session).after_commit(send)


async def run_task(backends: Backends, name: str, kwargs: dict[str, Any]) -> None:
    await TASKS.get(name).function(backends, **kwargs)


class InProcessTaskQueue:
    """Runs tasks as background coroutines of the serving process (embedded default).

    Retries with exponential backoff and jitter like a broker would; a task that keeps failing
    is logged and dropped, which is acceptable only because nothing here may depend on it for
    correctness (mail, push, snapshots are all re-derivable).
    """

    max_attempts = 5
    base_delay = 0.5

    def __init__(self, backends_getter: Callable[[], Backends]) -> None:
        self._backends_getter = backends_getter
        self._running: set[asyncio.Task[None]] = set()
        self._schedules: list[asyncio.Task[None]] = []

    def start_periodic(self) -> None:
        """The embedded default's stand-in for Celery beat (called by the serving app)."""
        for name, every in periodic().items():
            self._schedules.append(
                asyncio.create_task(self._every(name, every), name=f"periodic:{name}")
            )

    async def _every(self, name: str, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await self._run(name, {})

    async def enqueue(self, name: str, /, *, countdown: float = 0, **kwargs: Any) -> None:
        running = asyncio.create_task(self._run(name, kwargs, countdown), name=f"task:{name}")
        self._running.add(running)
        running.add_done_callback(self._running.discard)

    async def _run(self, name: str, kwargs: dict[str, Any], countdown: float = 0) -> None:
        if countdown > 0:
            await asyncio.sleep(countdown)
        for attempt in range(1, self.max_attempts + 1):
            try:
                await run_task(self._backends_getter(), name, kwargs)
                return
            except Exception:
                if attempt == self.max_attempts:
                    logger.exception("task %s failed for good after %d attempts", name, attempt)
                    return
                delay = self.base_delay * 2 ** (attempt - 1) * (1 + random.random())  # noqa: S311
                logger.warning(
                    "task %s failed (attempt %d); retrying in %.1fs", name, attempt, delay
                )
                await asyncio.sleep(delay)

    async def ping(self) -> None:
        return None

    async def depth(self) -> int:
        return len(self._running)

    async def drain(self) -> None:
        """Wait until every task enqueued so far (and any they enqueue) has finished."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def close(self) -> None:
        for schedule in self._schedules:
            schedule.cancel()
        await asyncio.gather(*self._schedules, return_exceptions=True)
        self._schedules.clear()
        await self.drain()


class CeleryTaskQueue:
    """Sends tasks to a Celery broker (Redis, RabbitMQ or SQS); ``bca worker`` runs them.

    ``send_task`` is blocking (it may reconnect and retry publishing), so it runs in a thread
    and never stalls the event loop of the API.
    """

    def __init__(self, app: Any, *, ping: Callable[[], None]) -> None:
        self._app = app
        self._ping = ping

    @property
    def app(self) -> Any:
        return self._app

    async def enqueue(self, name: str, /, *, countdown: float = 0, **kwargs: Any) -> None:
        await asyncio.to_thread(
            self._app.send_task, name, kwargs=kwargs, countdown=countdown or None
        )

    async def ping(self) -> None:
        await asyncio.to_thread(self._ping)

    async def depth(self) -> int | None:
        """Messages in the default queue: kombu's passive declare reports the count for
        AMQP, Redis (list length) and SQS (ApproximateNumberOfMessages) alike."""
        return await asyncio.to_thread(self._depth)

    def _depth(self) -> int | None:
        with self._app.connection_for_write() as connection:
            try:
                declared = connection.default_channel.queue_declare(
                    queue=self._app.conf.task_default_queue, passive=True
                )
            except connection.channel_errors:
                # No such queue: nothing was ever sent (publishing declares it), or, on Redis,
                # the list is empty (Redis drops empty lists).
                return 0
        count = getattr(declared, "message_count", None)
        return None if count is None else int(count)

    async def drain(self) -> None:
        """Nothing to wait for here: the tasks run in other processes."""
        return None

    async def close(self) -> None:
        await asyncio.to_thread(self._app.close)

    def start_periodic(self) -> None:
        """Nothing to start here: ``bca worker --beat`` runs the schedule."""
