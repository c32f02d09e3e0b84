"""``bca sync``: offline sync's change logs and snapshots."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from bca.cli.common import (
    command_settings,
    fail,
    group,
    one_shot_backends,
    ready_database,
    run_coroutine,
)
from bca.settings import Settings

sync_app = group("Offline sync: change logs and snapshots.")
logger = logging.getLogger("bca")


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

    settings = command_settings()
    ready_database(settings)

    async def run() -> tuple[int, int]:
        async with one_shot_backends(settings) as backends:
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
    settings = command_settings()
    if (user is None) == (not all_users):
        raise fail("name one USER or give --all", 2)
    ready_database(settings)
    failed = run_coroutine(_rebuild_snapshots(settings, user))
    if failed:
        raise fail(f"{failed} snapshot{'s' if failed != 1 else ''} not rebuilt (see above)")


async def _rebuild_snapshots(settings: Settings, identifier: str | None) -> int:
    """Rebuild one account's snapshot, or every active account's; returns how many failed."""
    from bca.accounts import administration as accounts
    from bca.backends.tasks import RetryableTaskError
    from bca.progress import progress
    from bca.sync.snapshots import update_snapshot

    failed = 0
    async with one_shot_backends(settings) as backends:
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
