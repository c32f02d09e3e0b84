"""The ``bca`` command: serve the API, run the worker, migrate, administer.

One module per command group (``db``, ``storage``, ``admin``, ``sync``, ``search``) or
top-level command (``serve``, ``worker``), what they share in ``common``. Each imports what a
command needs inside that command, so that ``bca --help`` stays quick
(``tests/test_cli_imports.py``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bca import __version__
from bca.cli import serve, worker
from bca.cli.admin import admin_app
from bca.cli.common import group
from bca.cli.db import db_app
from bca.cli.search import search_app
from bca.cli.storage import storage_app
from bca.cli.sync import sync_app

app = group("B.Ca backend. Configuration comes from BCA_* environment variables (see README).")
app.add_typer(db_app, name="db")
app.add_typer(storage_app, name="storage")
app.add_typer(admin_app, name="admin")
app.add_typer(sync_app, name="sync")
app.add_typer(search_app, name="search")
app.command()(serve.serve)
app.command()(worker.worker)


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
