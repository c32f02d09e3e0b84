"""The Celery application: broker from settings, every registered task wrapped once.

Tasks are declared once, in their domain's manifest (``bca.backends.tasks.TASKS``); here each
becomes a Celery task of the same name that runs the async function on the process's
:class:`WorkerRuntime`. Delivery is at-least-once: a task is acknowledged only after it
finished (``task_acks_late``), a worker that dies mid-task leaves it to be delivered again
(``task_reject_on_worker_lost``, and the broker's visibility timeout), and every task is
idempotent, so running it twice changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, signals

from bca.backends.celery import celery_config
from bca.backends.tasks import TASKS, RetryableTaskError, periodic
from bca.core.observability import configure_logging
from bca.domains import assemble
from bca.settings import Settings
from bca.worker.runtime import BackendsFactory, WorkerRuntime

logger = logging.getLogger(__name__)


def _register(app: Celery, runtime: WorkerRuntime, name: str, settings: Settings) -> None:
    # Retries wait at most half the visibility timeout: a delayed retry held by a worker longer
    # than that would be handed out a second time by the broker.
    backoff_max = max(1, min(600, settings.task_visibility_timeout // 2))

    @app.task(  # type: ignore[untyped-decorator]  # celery ships no type hints
        name=name,
        bind=True,
        autoretry_for=(Exception,),
        retry_backoff=True,
        retry_backoff_max=backoff_max,
        retry_jitter=True,
        max_retries=settings.task_max_retries,
    )
    def run(self: Any, **kwargs: Any) -> None:
        try:
            runtime.run(name, kwargs)
        except RetryableTaskError as error:
            logger.info("task %s will be retried: %s", name, error)
            raise


def create_celery(settings: Settings, *, runtime: WorkerRuntime) -> Celery:
    """The app ``bca worker`` runs: every registered task, run on ``runtime``."""
    assemble()  # the tasks come from the domains' manifests
    app = Celery("bca", set_as_current=False)
    app.conf.update(
        **celery_config(settings),
        beat_schedule={
            name: {"task": name, "schedule": every} for name, every in periodic().items()
        },
    )
    for name in sorted(TASKS.names()):
        _register(app, runtime, name, settings)
    return app


@signals.worker_process_init.connect  # type: ignore[untyped-decorator]  # celery has no hints
def _start_child(**_: Any) -> None:
    """Prefork children build their loop and backends as they start (not lazily mid-task)."""
    for runtime in _RUNTIMES:
        runtime.start()


@signals.worker_process_shutdown.connect  # type: ignore[untyped-decorator]  # celery has no hints
def _stop_child(**_: Any) -> None:
    for runtime in _RUNTIMES:
        runtime.stop()


_RUNTIMES: list[WorkerRuntime] = []


def worker_app(settings: Settings, create_backends: BackendsFactory) -> Celery:
    """The app ``bca worker`` runs, with the runtime its processes use.

    Its log is the API's: JSON lines (or readable ones at a terminal), redacted, with Celery's
    own records among them; a receiver of ``setup_logging`` stops Celery from installing its
    plain-text handler.
    """

    def configure(loglevel: Any = None, **_: Any) -> None:
        level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else loglevel
        configure_logging(level=str(level or settings.log_level), json_format=settings.json_logs)

    signals.setup_logging.connect(configure, weak=False, dispatch_uid="bca-worker-logging")
    runtime = WorkerRuntime(settings, create_backends)
    _RUNTIMES.append(runtime)
    return create_celery(settings, runtime=runtime)
