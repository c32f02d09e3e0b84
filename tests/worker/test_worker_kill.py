"""A worker killed (SIGKILL) mid-task leaves the task to run again; it then completes once and
the stored snapshot is whole."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from sqlalchemy import select

from bca.accounts.schemas import SignupRequest
from bca.accounts.service import create_account
from bca.backends import Backends
from bca.settings import Settings
from bca.sync.models import Snapshot
from bca.sync.snapshots import TEST_DELAY_VARIABLE
from tests.factories.accounts import DEFAULT_PASSWORD, Api, TestUser
from tests.fixtures.redis_server import suite_redis_url
from tests.fixtures.worker import WorkerProcess, eventually, worker_env

BROKER_URL = suite_redis_url(11)


@pytest.fixture
def stack() -> str:
    return "postgres"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"broker_url": BROKER_URL, "task_visibility_timeout": 3}


@pytest.fixture
async def clean_broker() -> AsyncIterator[None]:
    client = redis.Redis.from_url(BROKER_URL)
    await client.flushdb()
    yield
    await client.flushdb()
    await client.aclose()


async def direct_user(api: Api, backends: Backends) -> TestUser:
    """Created in the database (no mail task), then signed in through the API."""
    name = api.unique("killed")
    async with backends.database.transaction() as session:
        user = await create_account(
            session,
            backends.passwords,
            data=SignupRequest(
                email=f"{name}@example.com", username=name, password=DEFAULT_PASSWORD
            ),
            verified=True,
        )
    test_user = TestUser(
        id=str(user.id), email=user.email, username=name, password=DEFAULT_PASSWORD
    )
    return await api.sign_in_as(test_user)


async def test_killed_snapshot_task_runs_again_and_completes_once(
    api: Api, client: httpx.AsyncClient, backends: Backends, settings: Settings, clean_broker: None
) -> None:
    alice = await direct_user(api, backends)
    slow = WorkerProcess.start(worker_env(settings, **{TEST_DELAY_VARIABLE: "60"}), "--pool=solo")
    try:
        await slow.wait_for_log("ready")
        assert (await client.get("/v1/sync/snapshot", headers=alice.headers)).status_code == 202
        await slow.wait_for_log("snapshot file written")
        slow.kill()
    finally:
        slow.stop()
    assert "snapshot built" not in slow.output()
    async with backends.database.transaction() as session:
        pointer = await session.scalar(
            select(Snapshot).where(Snapshot.user_id == uuid.UUID(alice.id))
        )
    assert pointer is not None
    assert pointer.storage_key is None

    restarted = WorkerProcess.start(worker_env(settings), "--pool=solo")
    try:

        async def served() -> httpx.Response | None:
            response = await client.get("/v1/sync/snapshot", headers=alice.headers)
            return response if response.status_code == 200 else None

        snapshot = await eventually(served, timeout=45)
        await restarted.wait_for_log("snapshot built")
    finally:
        restarted.stop()
    assert restarted.count("snapshot built") == 1

    path = settings.data_dir / "copy.sqlite3"
    path.write_bytes(snapshot.content)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT user_id FROM meta").fetchone()[0] == alice.id
    stored = list((settings.resolved_storage_path / "sync" / alice.id).glob("*.sqlite3"))
    assert len(stored) == 1  # the killed run uploaded nothing; nothing was built twice
