"""``bca search``: the search index."""

from __future__ import annotations

import asyncio
import time

import typer

from bca.cli.common import command_settings, group, one_shot_backends, ready_database

search_app = group("Search: the index of messages, cards, contacts and profiles.")


@search_app.command("reindex")
def search_reindex(
    batch: int = typer.Option(500, help="Rows (or chats) indexed per transaction.", min=1),
) -> None:
    """Empty the search index and build it again from the database, in this process
    (progress on stderr, a line per batch)."""
    from bca.search.tasks import reindex_all

    settings = command_settings()
    ready_database(settings)
    started = time.monotonic()

    def report(what: str, done: int) -> None:
        typer.echo(f"{what}: {done} indexed ({time.monotonic() - started:.1f} s)", err=True)

    async def run() -> dict[str, int]:
        async with one_shot_backends(settings) as backends:
            return await reindex_all(backends, batch=batch, progress=report)

    counts = asyncio.run(run())
    summary = ", ".join(f"{count} {what}" for what, count in counts.items())
    typer.echo(f"reindexed {summary} in {time.monotonic() - started:.1f} s")
