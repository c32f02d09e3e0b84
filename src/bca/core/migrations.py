"""Running Alembic from code (the CLI, embedded start-up and the tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS_PATH = Path(__file__).resolve().parent.parent / "migrations"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """What Alembic compares with the models: everything but what the search index's
    migration (0011) makes beside them: SQLite's FTS5 tables (``search_*_fts`` and their
    shadow tables) and PostgreSQL's ``tokens`` columns and their GIN indexes."""
    if type_ == "table" and name is not None and name.startswith("search_") and "_fts" in name:
        return False
    if type_ == "column" and name == "tokens":
        return False
    return not (type_ == "index" and name is not None and name.endswith("_tokens"))


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _sqlite_path(database_url: str) -> Path | None:
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split(":///", 1)[-1]
    return Path(path) if path and path != ":memory:" else None


def upgrade(
    database_url: str, revision: str = "head", *, on_step: Callable[[str], None] | None = None
) -> None:
    """Blocking: call from a thread when an event loop is running (env.py runs its own).

    ``on_step`` is called with each revision once it is applied (for progress reports).
    """
    path = _sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = alembic_config(database_url)
    if on_step is not None:
        step_done = on_step

        def on_version_apply(*, step: Any, **_: Any) -> None:
            step_done(str(step.up_revision_id))

        config.attributes["on_version_apply"] = on_version_apply
    command.upgrade(config, revision)


def pending_revisions(database_url: str, revision: str = "head") -> list[str]:
    """The revisions an upgrade to ``revision`` would apply, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    current = current_revision(database_url)
    steps = script.iterate_revisions(revision, current)
    return [step.revision for step in reversed(list(steps))]


def current_revision(database_url: str) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    path = _sqlite_path(database_url)
    if path is not None and not path.exists():
        return None

    async def read() -> str | None:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
