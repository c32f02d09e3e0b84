"""The ``bca`` command: serve the API, run the worker, migrate, administer."""

from __future__ import annotations

import asyncio
import getpass
import sys
from enum import StrEnum
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import DBAPIError

from bca import __version__
from bca.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    help="B.Ca backend. Configuration comes from BCA_* environment variables (see README).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
admin_app = typer.Typer(help="Administration of accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
sync_app = typer.Typer(help="Offline sync: change logs and snapshots.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        typer.echo(f"bca: configuration error: {error}", err=True)
        raise typer.Exit(2) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bca {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """B.Ca backend."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (more than one needs Redis).", min=1)
    ] = 1,
) -> None:
    """Run the HTTP/WebSocket API.

    With no configuration at all this runs the embedded default: SQLite under ./var/, files
    under ./var/storage/, in-process cache and tasks, mail printed and saved to ./var/outbox/.
    The embedded database is created and migrated on first start.
    """
    from bca.core.migrations import current_revision, head_revision, upgrade
    from bca.core.observability import configure_logging

    settings = _settings()
    configure_logging(level=settings.log_level, json_format=settings.log_json)
    if workers > 1 and not settings.redis_url:
        typer.echo(
            "bca: --workers > 1 needs BCA_REDIS_URL (revocation and pub/sub are shared there)",
            err=True,
        )
        raise typer.Exit(2)
    url = settings.resolved_database_url
    if settings.is_sqlite:
        upgrade(url)
    else:
        current, head = current_revision(url), head_revision()
        if current != head:
            typer.echo(
                f"bca: the database is at revision {current}, this code needs {head}: "
                "run `bca db upgrade`",
                err=True,
            )
            raise typer.Exit(2)
    settings.signing_key  # noqa: B018  # create the embedded key once, before workers fork
    uvicorn.run(
        "bca.app:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        ws_ping_interval=20,
        # The sans-I/O implementation, without per-message compression: events are small, and
        # each connection's zlib state alone would cost ~45 KiB (see bench/README.md).
        ws="websockets-sansio",
        ws_per_message_deflate=False,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database to the newest schema (or to REVISION)."""
    from bca.core.migrations import upgrade

    settings = _settings()
    upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database upgraded to {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and whether it is the newest."""
    from bca.core.migrations import current_revision, head_revision

    settings = _settings()
    current, head = current_revision(settings.resolved_database_url), head_revision()
    state = "up to date" if current == head else f"behind (newest is {head})"
    typer.echo(f"{current or 'empty'} ({state})")


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Email address (marked verified).")],
    username: Annotated[str, typer.Option(help="Username, ^[a-z0-9_.]{3,32}$.")],
    admin: Annotated[
        bool, typer.Option("--admin", help="Give the account the admin role.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account directly (no mail, email already verified)."""
    from bca.accounts.admin import create_user_directly

    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            typer.echo("bca: the passwords differ", err=True)
            raise typer.Exit(1)
    try:
        user_id = asyncio.run(
            create_user_directly(
                settings, email=email, username=username, password=password, admin=admin
            )
        )
    except ValueError as error:
        typer.echo(f"bca: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created user {user_id}{' (admin)' if admin else ''}")


class WorkerPool(StrEnum):
    prefork = "prefork"
    solo = "solo"
    threads = "threads"


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(help="Processes (or threads) running tasks.", min=1)
    ] = 1,
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    queues: Annotated[
        str | None,
        typer.Option(help="Comma-separated queues to consume (default: the task queue)."),
    ] = None,
    pool: Annotated[WorkerPool, typer.Option(help="Celery pool: prefork (processes) or solo.")] = (
        WorkerPool.prefork
    ),
    beat: Annotated[
        bool,
        typer.Option("--beat/--no-beat", help="Also run the periodic schedule (one worker only)."),
    ] = False,
) -> None:
    """Run background tasks from the broker (BCA_BROKER_URL or AWS_TASK_SQS_URL).

    Tasks are acknowledged only when finished: a worker killed mid-task leaves the task to be
    run again by another (or the restarted) worker.
    """
    from bca.worker.celery_app import worker_app

    settings = _settings()
    if not settings.broker_url and not settings.aws_task_sqs_url:
        typer.echo(
            "bca: the worker needs a broker: set BCA_BROKER_URL (redis://, amqp://) or "
            "AWS_TASK_SQS_URL (without one, tasks run inside `bca serve`)",
            err=True,
        )
        raise typer.Exit(2)
    argv = [
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
    worker_app(settings).worker_main(argv)


@sync_app.command("compact")
def sync_compact(
    retention_days: Annotated[
        int | None,
        typer.Option(help="Keep entries younger than this (default from settings).", min=1),
    ] = None,
    keep_last: Annotated[
        int | None, typer.Option(help="Keep at least the last N entries of every user.", min=0)
    ] = None,
) -> None:
    """Compact every user's change log now (the worker's beat schedule does it hourly)."""
    from bca.backends import create_backends
    from bca.sync.tasks import compact_all

    settings = _settings()

    async def run() -> tuple[int, int]:
        backends = create_backends(settings)
        try:
            return await compact_all(backends, retention_days=retention_days, keep_last=keep_last)
        finally:
            await backends.close()

    users, removed = asyncio.run(run())
    typer.echo(f"compacted {users} change logs, {removed} entries removed")


@sync_app.command("rebuild")
def sync_rebuild(
    user_id: Annotated[str, typer.Argument(help="The user whose snapshot to rebuild.")],
) -> None:
    """Rebuild one user's snapshot file now, in this process."""
    import uuid

    from bca.backends import create_backends
    from bca.sync.snapshots import update_snapshot

    settings = _settings()
    try:
        target = uuid.UUID(user_id)
    except ValueError:
        typer.echo(f"bca: not a user id: {user_id}", err=True)
        raise typer.Exit(2) from None

    async def run() -> None:
        backends = create_backends(settings)
        try:
            await update_snapshot(backends, target, rebuild=True)
        finally:
            await backends.close()

    asyncio.run(run())
    typer.echo(f"snapshot of {user_id} rebuilt")


def main() -> None:
    try:
        app()
    except (DBAPIError, OSError) as error:
        # An operator needs the reason in one line, not a traceback.
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        typer.echo(f"bca: cannot reach the database: {reason}", err=True)
        sys.exit(1)
