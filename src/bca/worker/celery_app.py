"""The Celery application: broker from settings, every registered task wrapped once.

Tasks are declared once with ``bca.backends.tasks.task``; here each becomes a Celery task of
the same name that runs the async function on the process's :class:`WorkerRuntime`. Delivery
is at-least-once: a task is acknowledged only after it finished (``task_acks_late``), a worker
that dies mid-task leaves it to be delivered again (``task_reject_on_worker_lost``, and the
broker's visibility timeout), and every task is idempotent, so running it twice changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from celery import Celery, signals

import bca.tasks_registry  # noqa: F401  # registers every domain's tasks
from bca.backends.tasks import PERIODIC, REGISTRY, CeleryTaskQueue, RetryableTaskError
from bca.settings import Settings
from bca.worker.runtime import WorkerRuntime

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "bca"


def sqs_queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


def broker_config(settings: Settings) -> dict[str, Any]:
    """``broker_url``, transport options and the default queue for the configured broker."""
    timeout = settings.task_visibility_timeout
    if settings.aws_task_sqs_url:
        name = sqs_queue_name(settings.aws_task_sqs_url)
        queue: dict[str, Any] = {"url": settings.aws_task_sqs_url, "region": settings.aws_region}
        if settings.aws_access_key_id and settings.aws_secret_access_key:
            queue |= {
                "access_key_id": settings.aws_access_key_id,
                "secret_access_key": settings.aws_secret_access_key,
            }
        options: dict[str, Any] = {
            "region": settings.aws_region,
            "predefined_queues": {name: queue},
            "visibility_timeout": timeout,
            "wait_time_seconds": 10,
            "polling_interval": 1,
        }
        url = "sqs://"
        if settings.aws_endpoint_url:
            endpoint = urlsplit(settings.aws_endpoint_url)
            credentials = ""
            if settings.aws_access_key_id and settings.aws_secret_access_key:
                credentials = (
                    f"{quote(settings.aws_access_key_id, safe='')}:"
                    f"{quote(settings.aws_secret_access_key, safe='')}@"
                )
            url = f"sqs://{credentials}{endpoint.netloc}"
            options["is_secure"] = endpoint.scheme == "https"
        return {"broker_url": url, "broker_transport_options": options, "task_default_queue": name}
    assert settings.broker_url is not None
    options = {}
    if settings.broker_url.startswith(("redis://", "rediss://")):
        options = {"visibility_timeout": timeout}
    return {
        "broker_url": settings.broker_url,
        "broker_transport_options": options,
        "task_default_queue": DEFAULT_QUEUE,
    }


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


def create_celery(settings: Settings, *, runtime: WorkerRuntime | None = None) -> Celery:
    """The app for the worker (with a runtime) or for producers (the API)."""
    runtime = runtime or WorkerRuntime(settings)
    app = Celery("bca", set_as_current=False)
    app.conf.update(
        **broker_config(settings),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_hijack_root_logger=True,
        enable_utc=True,
        timezone="UTC",
        beat_schedule={name: {"task": name, "schedule": every} for name, every in PERIODIC.items()},
    )
    for name in sorted(REGISTRY):
        _register(app, runtime, name, settings)
    return app


def ping_broker(app: Celery, settings: Settings) -> None:
    """Raise unless the broker answers (readiness)."""
    if settings.aws_task_sqs_url:
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            name = sqs_queue_name(settings.aws_task_sqs_url)
            channel.sqs(queue=name).get_queue_attributes(
                QueueUrl=settings.aws_task_sqs_url, AttributeNames=["QueueArn"]
            )
        return
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
        connection.default_channel  # noqa: B018  # opening a channel talks to the broker


def create_task_queue(settings: Settings) -> CeleryTaskQueue:
    app = create_celery(settings)
    return CeleryTaskQueue(app, ping=lambda: ping_broker(app, settings))


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


def worker_app(settings: Settings) -> Celery:
    """The app ``bca worker`` runs, with the runtime its processes use."""
    runtime = WorkerRuntime(settings)
    _RUNTIMES.append(runtime)
    return create_celery(settings, runtime=runtime)
