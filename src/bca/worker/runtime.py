"""One event loop and one ``Backends`` per worker process, reused by every task it runs.

A Celery worker (and a Lambda container) runs tasks one after another in plain threads; the
tasks are async and share a database pool, whose connections belong to the loop that opened
them. So each process owns one loop for its lifetime and runs each task to completion on it;
``asyncio.run()`` per task would strand the pool's connections on dead loops. A forked child
(prefork pool) notices the new pid and builds its own.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import Any

from bca.backends import Backends
from bca.backends.tasks import run_task
from bca.settings import Settings

BackendsFactory = Callable[[Settings], Backends]
"""``bca.wiring.create_backends``, handed over by the entry point that starts the worker."""


class WorkerRuntime:
    def __init__(self, settings: Settings, create_backends: BackendsFactory) -> None:
        self.settings = settings
        self._create_backends = create_backends
        self._loop: asyncio.AbstractEventLoop | None = None
        self._backends: Backends | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Create this process's loop and backends (idempotent per process)."""
        with self._lock:
            if self._pid == os.getpid() and self._loop is not None:
                return
            # After a fork the parent's loop and pool must not be touched; start afresh.
            self._loop = asyncio.new_event_loop()
            self._backends = self._create_backends(self.settings)
            self._pid = os.getpid()

    @property
    def backends(self) -> Backends:
        self.start()
        assert self._backends is not None
        return self._backends

    def run(self, name: str, kwargs: dict[str, Any]) -> None:
        self.start()
        assert self._loop is not None
        assert self._backends is not None
        with self._lock:
            self._loop.run_until_complete(run_task(self._backends, name, kwargs))

    def stop(self) -> None:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                return
            if self._backends is not None:
                self._loop.run_until_complete(self._backends.close())
            self._loop.close()
            self._loop = None
            self._backends = None
