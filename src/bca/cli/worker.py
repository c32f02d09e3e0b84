"""``bca worker``: background tasks from the broker, in Celery."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from bca.cli.common import command_settings, fail, warn_if_scans_cannot_run


class WorkerPool(StrEnum):
    prefork = "prefork"
    solo = "solo"
    threads = "threads"


def worker(
    concurrency: Annotated[
        int, typer.Option(help="Processes (or threads) running tasks.", min=1)
    ] = 1,
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    queues: Annotated[
        str | None,
        typer.Option(help="Comma-separated queues to consume (default: the task queue)."),
    ] = None,
    pool: Annotated[
        WorkerPool,
        typer.Option(
            help="Celery pool: prefork (processes), threads, or solo (one task at a time)."
        ),
    ] = WorkerPool.prefork,
    beat: Annotated[
        bool,
        typer.Option("--beat/--no-beat", help="Also run the periodic schedule (one worker only)."),
    ] = False,
) -> None:
    """Run background tasks from the broker (BCA_BROKER_URL or AWS_TASK_SQS_URL).

    Tasks are acknowledged only when finished: a worker killed mid-task leaves the task to be
    run again by another (or the restarted) worker.
    """
    from bca.core.observability import configure_logging
    from bca.wiring import create_backends
    from bca.worker.celery_app import worker_app

    settings = command_settings()
    # Before Celery starts: what it warns about while starting is logged like the rest.
    configure_logging(level=loglevel, json_format=settings.json_logs)
    warn_if_scans_cannot_run()
    if not settings.broker_url and not settings.aws_task_sqs_url:
        raise fail(
            "the worker needs a broker: set BCA_BROKER_URL (redis://, amqp://) or "
            "AWS_TASK_SQS_URL (without one, tasks run inside `bca serve`)",
            2,
        )
    if "public_url" not in settings.model_fields_set:
        typer.echo(
            f"bca: BCA_PUBLIC_URL is not set: links in the mails this worker sends point at "
            f"{settings.public_url}",
            err=True,
        )
    argv = [
        # Celery's banner is for a person at a terminal; JSON logs are for machines.
        *(["--quiet"] if settings.json_logs else []),
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        f"--pool={pool.value}",
    ]
    if queues:
        argv.append(f"--queues={queues}")
    if beat:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", f"--schedule={settings.data_dir / 'celerybeat-schedule'}"]
    worker_app(settings, create_backends).worker_main(argv)
