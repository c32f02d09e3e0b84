"""The ``bca`` command: serve the API, run the worker, migrate, administer."""

from __future__ import annotations

import asyncio
import functools
import getpass
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from bca import __version__
from bca.settings import Mode, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from typer._click import Command, Context  # the click typer carries

    from bca.admin.service import Action
    from bca.backends import Backends

T = TypeVar("T")


def _group(help_text: str, cls: type[TyperGroup] | None = None) -> typer.Typer:
    # rich_markup_mode=None: help is printed as written. Rich markup would swallow anything
    # in square brackets (the username pattern's [a-z0-9_.]) and label flags "<bool>".
    return typer.Typer(
        help=help_text,
        cls=cls,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


class _UsersGroup(TyperGroup):
    """``bca admin users``: ``list``, and one command per row of the admin actions' table
    that the shell is offered (``bca.admin.service.ACTIONS``)."""

    def list_commands(self, ctx: Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_shell_commands()})

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        return super().get_command(ctx, cmd_name) or _shell_commands().get(cmd_name)


app = _group("B.Ca backend. Configuration comes from BCA_* environment variables (see README).")
db_app = _group("Database schema (Alembic migrations).")
admin_app = _group("Administration of accounts.")
users_app = _group(
    "Find accounts and act on them; USER is an email address, a username or an account id.",
    cls=_UsersGroup,
)
sync_app = _group("Offline sync: change logs and snapshots.")
storage_app = _group("Object storage (local folder or S3 bucket).")
app.add_typer(db_app, name="db")
app.add_typer(storage_app, name="storage")
app.add_typer(admin_app, name="admin")
admin_app.add_typer(users_app, name="users")
app.add_typer(sync_app, name="sync")
logger = logging.getLogger("bca")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        typer.echo(f"bca: configuration error: {error}", err=True)
        raise typer.Exit(2) from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"bca: {message}", err=True)
    return typer.Exit(code)


def _ready_database(settings: Settings) -> None:
    """Commands that need the schema: the embedded SQLite file is created and migrated as
    `bca serve` would; any other database must have been upgraded by the operator."""
    from bca.core.migrations import current_revision, head_revision, upgrade

    url = settings.resolved_database_url
    if settings.is_sqlite:
        upgrade(url)
        return
    current, head = current_revision(url), head_revision()
    if current != head:
        raise _fail(
            f"the database is at revision {current or 'empty'}, this code needs {head}: "
            "run `bca db upgrade`",
            2,
        )


@asynccontextmanager
async def _backends(settings: Settings) -> AsyncIterator[Backends]:
    """The backends for a one-shot command. Its tasks (mail, snapshot updates) run before it
    exits when there is no broker; nothing is left to debounce, so they run at once."""
    from bca.wiring import create_backends

    backends = create_backends(settings.model_copy(update={"sync_snapshot_debounce_seconds": 0}))
    try:
        yield backends
    finally:
        await backends.close()


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; an operator's mistake (an unknown user) is one line."""
    from bca.accounts.errors import UserNotFound

    try:
        return asyncio.run(work)
    except UserNotFound as error:
        raise _fail(error.message) from None


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


def _listening_url(host: str, port: int) -> str:
    """The address links should carry when BCA_PUBLIC_URL is unset: where this server
    listens, with "localhost" for the wildcard addresses (they name no reachable host)."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104  # compared, not bound
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _check_port_free(host: str, port: int) -> None:
    """Fail with a hint now, rather than as a log line after start-up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        # As uvicorn binds: a port in TIME_WAIT is free, one that something listens on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = error.strerror or str(error)
            raise _fail(
                f"cannot listen on {host}:{port}: {reason.lower()}. Choose another port: "
                f"`make run PORT={port + 1}` or `bca serve --port {port + 1}`",
                2,
            ) from None


def _announce(settings: Settings, local_url: str, *, human: bool) -> None:
    """The first lines of the log: where the docs are, where links point, where mail goes."""
    lines = [f"B.Ca API docs: {local_url}/docs", f"  home page: {local_url}/"]
    lines.append(f"  links in mails and share links: {settings.public_url}")
    if settings.mode is Mode.embedded:
        lines.append(
            f"  embedded mode: data in {settings.data_dir.resolve()}, mails printed here and "
            f"saved in {settings.outbox_path.resolve()}"
        )
    if human:
        lines.append("  stop with Ctrl+C")
        typer.echo("\n".join(lines), err=True)
    else:
        logger.info(lines[0].strip(), extra={"public_url": settings.public_url})


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
    The embedded database is created and migrated on first start. Without BCA_PUBLIC_URL,
    links in mails, share links and QR codes point at the address served here.
    """
    from bca.core.observability import configure_logging

    settings = _settings()
    local_url = _listening_url(host, port)
    guessed_public_url = "public_url" not in settings.model_fields_set
    if guessed_public_url:
        # uvicorn's factory (in each worker process) loads the settings again from here.
        os.environ["BCA_PUBLIC_URL"] = local_url
        settings = _settings()
    configure_logging(level=settings.log_level, json_format=settings.json_logs)
    if workers > 1 and not settings.redis_url:
        raise _fail(
            "--workers > 1 needs BCA_REDIS_URL (revocation and pub/sub are shared there)", 2
        )
    _check_port_free(host, port)
    _announce(settings, local_url, human=not settings.json_logs)
    if guessed_public_url and (
        settings.mode is Mode.production or local_url.startswith("http://localhost:")
    ):
        logger.warning(
            "BCA_PUBLIC_URL is not set: links in mails and share links point at %s; set it to "
            "the address people reach this server at",
            local_url,
        )
    _ready_database(settings)
    if not (settings.broker_url or settings.aws_task_sqs_url):
        warn_if_scans_cannot_run()  # tasks (card scans among them) run in this process
    settings.signing_key  # noqa: B018  # create the embedded key once, before workers fork
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_config": None,
        # X-Forwarded-For is believed only from BCA_TRUSTED_PROXIES, by the app itself
        # (uvicorn would trust 127.0.0.1, letting any local process pick its address).
        "proxy_headers": False,
        # A deadline and size limits for request heads, uvicorn's keep-alive (bca.protocol).
        "http": "bca.protocol:GuardedHttpToolsProtocol",
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "ws_ping_interval": 20,
        # The sans-I/O implementation, without per-message compression: events are small, and
        # each connection's zlib state alone would cost ~45 KiB (see bench/README.md).
        "ws": "websockets-sansio",
        "ws_per_message_deflate": False,
    }
    import uvicorn

    application = "bca.app:create_app_from_environment"
    if workers > 1:
        from bca.supervisor import SpreadingMultiprocess

        SpreadingMultiprocess(uvicorn.Config(application, workers=workers, **options)).run()
    else:
        uvicorn.run(application, **options)


def warn_if_scans_cannot_run() -> bool:
    """One warning at start-up when this process runs tasks but cannot read cards (no
    Tesseract, or no Korean/English data): scans would otherwise fail one by one, silently."""
    from bca.scans.reading import ocr_problem

    problem = ocr_problem()
    if problem:
        logger.warning("card scans: %s", problem)
    return problem is None


@storage_app.command("init")
def storage_init() -> None:
    """Create the storage the settings name, unless it exists: the S3 bucket
    (AWS_S3_BUCKET_NAME, in AWS_REGION) or the local folder. Safe to run again."""
    from bca.backends.storage import NotReady, create_storage

    settings = _settings()

    async def ensure() -> str:
        storage = create_storage(settings)
        try:
            return await storage.ensure()
        finally:
            await storage.close()

    try:
        typer.echo(_run(ensure()))
    except NotReady as problem:
        raise _fail(problem.detail) from None
    except Exception as error:  # the store's own words: unreachable, refused, bad region ...
        raise _fail(f"storage init failed: {type(error).__name__}: {error}") from None


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database to the newest schema (or to REVISION)."""
    from bca.core.migrations import pending_revisions, upgrade
    from bca.progress import progress

    settings = _settings()
    url = settings.resolved_database_url
    pending = pending_revisions(url, revision)
    if not pending:
        typer.echo(f"the database is up to date ({revision})")
        return
    with progress("applying migrations", total=len(pending)) as advance:
        upgrade(url, revision, on_step=lambda _revision: advance())
    typer.echo(f"database upgraded to {pending[-1]} ({len(pending)} migrations applied)")


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
    username: Annotated[
        # The pattern is accounts.schemas.USERNAME_PATTERN, written out to keep `bca` quick to
        # start (tests/integration/test_cli.py checks that the two agree).
        str, typer.Option(help="Username: 3 to 32 of a-z, 0-9, _ and . (^[a-z0-9_.]{3,32}$).")
    ],
    admin: Annotated[
        bool, typer.Option("--admin", help="Give the account the admin role.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account directly (no mail, email already verified)."""
    from bca.admin_commands import create_user_directly

    settings = _settings()
    _ready_database(settings)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            raise _fail("the passwords differ")
    try:
        user_id = asyncio.run(
            create_user_directly(
                settings, email=email, username=username, password=password, admin=admin
            )
        )
    except ValueError as error:
        raise _fail(str(error)) from None
    typer.echo(f"created user {user_id}{' (admin)' if admin else ''}")


UserArgument = Annotated[
    str, typer.Argument(metavar="USER", help="Email address, username or account id.")
]


@users_app.command("list")
def users_list(
    query: Annotated[
        str | None,
        typer.Option("--query", "-q", help="Part of an email address, username or nickname."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, oldest first.", min=1)] = 100,
) -> None:
    """List accounts: id, email, username, role and state."""
    from bca import admin_commands as admin

    settings = _settings()
    _ready_database(settings)
    users = _run(admin.list_users(settings, query=query, limit=limit))
    if not users:
        typer.echo("no accounts" + (f" match {query!r}" if query else ""), err=True)
        return
    rows = [("ID", "EMAIL", "USERNAME", "ROLE", "STATE", "CREATED")]
    for user in users:
        state = [
            word
            for word, present in (
                ("unverified", user.email_verified_at is None),
                ("locked", user.locked),
                ("deactivated", user.deactivated_at is not None),
            )
            if present
        ]
        rows.append(
            (
                str(user.id),
                user.email,
                user.username,
                user.role,
                ",".join(state) or "active",
                user.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


ReasonOption = Annotated[
    str | None, typer.Option(help="Why (kept in the audit record, as from the console).")
]


def _shell_command(action: Action) -> Command:
    """``bca admin users <action> USER``, from a row of the admin actions' table."""
    shell = action.shell
    if shell is None:
        raise ValueError(f"{action.audit_name} is not offered at the shell")

    def take(user: str, reason: str | None) -> None:
        from bca import admin_commands as admin

        settings = _settings()
        _ready_database(settings)

        async def run() -> str:
            async with _backends(settings) as backends:
                return await admin.apply(backends, user, action, reason=reason)

        typer.echo(_run(run()))

    if action.asks_reason:

        def command(user: UserArgument, reason: ReasonOption = None) -> None:
            take(user, reason)

    else:

        def command(user: UserArgument) -> None:  # type: ignore[misc]  # one of two signatures
            take(user, None)

    command.__doc__ = shell.help
    single = _group("")
    single.command(action.name)(command)
    return typer.main.get_command(single)  # a Typer of one command is that command


@functools.cache
def _shell_commands() -> dict[str, Command]:
    # Imported when `bca admin users` is used, not for `bca --help` or other commands: the
    # table brings every domain's services with it.
    from bca.admin_commands import shell_actions

    return {action.name: _shell_command(action) for action in shell_actions()}


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

    settings = _settings()
    # Before Celery starts: what it warns about while starting is logged like the rest.
    configure_logging(level=loglevel, json_format=settings.json_logs)
    warn_if_scans_cannot_run()
    if not settings.broker_url and not settings.aws_task_sqs_url:
        raise _fail(
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
    from bca.progress import progress
    from bca.sync.tasks import compact_all

    settings = _settings()
    _ready_database(settings)

    async def run() -> tuple[int, int]:
        async with _backends(settings) as backends:
            return await compact_all(backends, retention_days=retention_days, keep_last=keep_last)

    # compact_all reports nothing until it ends: a spinner shows that it works.
    with progress("compacting change logs", total=None):
        users, removed = asyncio.run(run())
    typer.echo(f"compacted {users} change logs, {removed} entries removed")


@sync_app.command("rebuild")
def sync_rebuild(
    user: Annotated[
        str | None,
        typer.Argument(metavar="[USER]", help="Email address, username or account id."),
    ] = None,
    all_users: Annotated[
        bool, typer.Option("--all", help="Rebuild the snapshot of every active account.")
    ] = False,
) -> None:
    """Rebuild snapshot files now, in this process: one account's, or every account's."""
    settings = _settings()
    if (user is None) == (not all_users):
        raise _fail("name one USER or give --all", 2)
    _ready_database(settings)
    failed = _run(_rebuild_snapshots(settings, user))
    if failed:
        raise _fail(f"{failed} snapshot{'s' if failed != 1 else ''} not rebuilt (see above)")


async def _rebuild_snapshots(settings: Settings, identifier: str | None) -> int:
    """Rebuild one account's snapshot, or every active account's; returns how many failed."""
    from bca.accounts import administration as accounts
    from bca.backends.tasks import RetryableTaskError
    from bca.progress import progress
    from bca.sync.snapshots import update_snapshot

    failed = 0
    async with _backends(settings) as backends:
        async with backends.database.transaction() as session:
            if identifier is None:
                user_ids = await accounts.active_user_ids(session)
            else:
                user_ids = [(await accounts.find_user(session, identifier=identifier)).id]
        with progress("rebuilding snapshots", total=len(user_ids)) as advance:
            for user_id in user_ids:
                try:
                    await update_snapshot(backends, user_id, rebuild=True)
                except RetryableTaskError:
                    failed += 1
                    typer.echo(f"bca: {user_id}: a build is already running; skipped", err=True)
                except Exception as error:  # one account's failure must not stop the others
                    failed += 1
                    logger.exception("snapshot rebuild of %s failed", user_id)
                    typer.echo(f"bca: {user_id}: {error}", err=True)
                advance()
    typer.echo(f"{len(user_ids) - failed} of {len(user_ids)} snapshots rebuilt")
    return failed


def main() -> None:
    try:
        app()
    except Exception as error:
        # SQLAlchemy is imported by the commands that use it, not for every `bca`.
        database_error = sys.modules.get("sqlalchemy.exc")
        unreachable: tuple[type[Exception], ...] = (OSError,)
        if database_error is not None:
            unreachable += (database_error.DBAPIError,)
        if not isinstance(error, unreachable):
            raise
        # An operator needs the reason in one line, not a traceback.
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        typer.echo(f"bca: cannot reach the database: {reason}", err=True)
        sys.exit(1)
