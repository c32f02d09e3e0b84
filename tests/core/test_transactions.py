"""The unit-of-work contract: the outbox's side effects after commit, compensations after
rollback, and the before-commit steps inside the transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.db import Database, outbox


async def test_side_effects_follow_the_outcome(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'unit.db'}")
    ran: list[str] = []

    async def note(what: str) -> None:
        ran.append(what)

    async def step(session: AsyncSession) -> None:
        ran.append("before commit")

    database.before_commit.append(step)
    async with database.transaction() as session:
        outbox(session).after_commit(lambda: note("published"))
        outbox(session).on_rollback(lambda: note("compensated"))
    assert ran == ["before commit", "published"]

    ran.clear()

    async def failing_write() -> None:
        async with database.transaction() as session:
            outbox(session).after_commit(lambda: note("published"))
            outbox(session).on_rollback(lambda: note("compensated"))
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        await failing_write()
    assert ran == ["compensated"]
    await database.dispose()


async def test_compensations_run_when_the_rollback_fails_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'unit.db'}")
    ran: list[str] = []

    async def note(what: str) -> None:
        ran.append(what)

    async def lost_connection(self: AsyncSession) -> None:
        raise ConnectionResetError("the database went away")

    async def failing_write() -> None:
        async with database.transaction() as session:
            outbox(session).on_rollback(lambda: note("compensated"))
            raise RuntimeError("the write failed")

    monkeypatch.setattr(AsyncSession, "rollback", lost_connection)
    with pytest.raises(ConnectionResetError):
        await failing_write()
    assert ran == ["compensated"]
    await database.dispose()
