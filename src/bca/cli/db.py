"""``bca db``: the database schema (Alembic migrations)."""

from __future__ import annotations

from typing import Annotated

import typer

from bca.cli.common import command_settings, group

db_app = group("Database schema (Alembic migrations).")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database to the newest schema (or to REVISION)."""
    from bca.core.migrations import pending_revisions, upgrade
    from bca.progress import progress

    settings = command_settings()
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

    settings = command_settings()
    current, head = current_revision(settings.resolved_database_url), head_revision()
    state = "up to date" if current == head else f"behind (newest is {head})"
    typer.echo(f"{current or 'empty'} ({state})")
