"""What the commands share: their Typer groups' settings, loading the configuration, failing
with one line, a ready database, backends for a one-shot command, and the scan-reader check
of the processes that run tasks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from typer.core import TyperGroup

from bca.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bca.backends import Backends

T = TypeVar("T")

logger = logging.getLogger("bca")


def group(help_text: str, cls: type[TyperGroup] | None = None) -> typer.Typer:
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


def command_settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        typer.echo(f"bca: configuration error: {error}", err=True)
        raise typer.Exit(2) from None


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"bca: {message}", err=True)
    return typer.Exit(code)


def ready_database(settings: Settings) -> None:
    """Commands that need the schema: the embedded SQLite file is created and migrated as
    `bca serve` would; any other database must have been upgraded by the operator."""
    from bca.core.migrations import current_revision, head_revision, upgrade

    url = settings.resolved_database_url
    if settings.is_sqlite:
        upgrade(url)
        return
    current, head = current_revision(url), head_revision()
    if current != head:
        raise fail(
            f"the database is at revision {current or 'empty'}, this code needs {head}: "
            "run `bca db upgrade`",
            2,
        )


@asynccontextmanager
async def one_shot_backends(settings: Settings) -> AsyncIterator[Backends]:
    """The backends for a one-shot command. Its tasks (mail, snapshot updates) run before it
    exits when there is no broker; nothing is left to debounce, so they run at once."""
    from bca.wiring import create_backends

    backends = create_backends(settings.model_copy(update={"sync_snapshot_debounce_seconds": 0}))
    try:
        yield backends
    finally:
        await backends.close()


def run_coroutine(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; an operator's mistake (an unknown user) is one line."""
    from bca.accounts.errors import UserNotFound

    try:
        return asyncio.run(work)
    except UserNotFound as error:
        raise fail(error.message) from None


def warn_if_scans_cannot_run() -> bool:
    """One warning at start-up when this process runs tasks but cannot read cards (no
    Tesseract, or no Korean/English data): scans would otherwise fail one by one, silently."""
    from bca.scans.reading import ocr_problem

    problem = ocr_problem()
    if problem:
        logger.warning("card scans: %s", problem)
    return problem is None
