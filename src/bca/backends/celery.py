"""The Celery adapter of the task port: a producer that sends tasks to the broker.

Redis, RabbitMQ (``BCA_BROKER_URL``) or SQS (``AWS_TASK_SQS_URL``, the original deployment's
queue). The worker side, which runs the tasks, is ``bca.worker.celery_app``; both build their
Celery app from :func:`celery_config`, so that they agree on the broker and the queue.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from celery import Celery

from bca.backends.tasks import CeleryTaskQueue
from bca.settings import Settings

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


def celery_config(settings: Settings) -> dict[str, Any]:
    """Delivery at least once: a task is acknowledged only after it finished
    (``task_acks_late``), a worker that dies mid-task leaves it to be delivered again."""
    return {
        **broker_config(settings),
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 5,
        "worker_hijack_root_logger": True,
        "enable_utc": True,
        "timezone": "UTC",
    }


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


def create_producer(settings: Settings) -> CeleryTaskQueue:
    """The API's side: sends tasks by name (the worker has them registered)."""
    app = Celery("bca", set_as_current=False)
    app.conf.update(**celery_config(settings))
    return CeleryTaskQueue(app, ping=lambda: ping_broker(app, settings))
