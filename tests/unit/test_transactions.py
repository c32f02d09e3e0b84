"""The unit-of-work contract: side effects after commit, compensations after rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bca.core.db import Database, after_commit, on_rollback


async def test_side_effects_follow_the_outcome(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'unit.db'}")
    ran: list[str] = []

    async def note(what: str) -> None:
        ran.append(what)

    async with database.transaction() as session:
        after_commit(session, lambda: note("published"))
        on_rollback(session, lambda: note("compensated"))
    assert ran == ["published"]

    ran.clear()

    async def failing_write() -> None:
        async with database.transaction() as session:
            after_commit(session, lambda: note("published"))
            on_rollback(session, lambda: note("compensated"))
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        await failing_write()
    assert ran == ["compensated"]
    await database.dispose()
