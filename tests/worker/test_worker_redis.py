"""Celery with the real Redis broker and a real ``bca worker`` process consuming."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis

from bca.backends import Backends
from bca.backends.tasks import CeleryTaskQueue
from bca.settings import Settings
from tests.factories.accounts import Api
from tests.factories.sync import open_copy, tables, worker_user
from tests.fixtures.redis_server import suite_redis_url
from tests.fixtures.worker import WorkerProcess, eventually, worker_env

BROKER_URL = suite_redis_url(10)


@pytest.fixture
def stack() -> str:
    return "postgres"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "broker_url": BROKER_URL,
        "sync_snapshot_debounce_seconds": 0.5,
        "task_visibility_timeout": 4,
    }


@pytest.fixture
async def clean_broker() -> AsyncIterator[None]:
    client = redis.Redis.from_url(BROKER_URL)
    await client.flushdb()
    yield
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def worker(settings: Settings, clean_broker: None) -> Any:
    process = WorkerProcess.start(worker_env(settings), "--pool=prefork", "--concurrency=1")
    yield process
    process.stop()


async def test_tasks_run_on_the_worker(
    api: Api, client: httpx.AsyncClient, backends: Backends, worker: WorkerProcess
) -> None:
    assert isinstance(backends.tasks, CeleryTaskQueue)
    ready = await client.get("/readyz")
    assert ready.json()["checks"]["broker"] == "ok"
    await worker.wait_for_log("ready")

    # Mail is a task: the verification mail is sent by the worker process.
    alice = await worker_user(client, backends, api)
    assert "accounts.send_email" in worker.output()

    first = await client.get("/v1/sync/snapshot", headers=alice.headers)
    assert first.status_code == 202

    async def built() -> httpx.Response | None:
        response = await client.get("/v1/sync/snapshot", headers=alice.headers)
        return response if response.status_code == 200 else None

    snapshot = await eventually(built)
    profiles = tables(open_copy(snapshot.content))["profiles"]
    assert len(profiles) == 1

    profile_id = next(iter(profiles))[0]
    response = await client.patch(
        f"/v1/profiles/{profile_id}", json={"name": "Renamed"}, headers=alice.headers
    )
    assert response.status_code == 200

    async def patched() -> httpx.Response | None:
        response = await client.get("/v1/sync/snapshot", headers=alice.headers)
        newer = int(response.headers.get("BCA-Sync-Cursor", 0)) > int(
            snapshot.headers["BCA-Sync-Cursor"]
        )
        return response if response.status_code == 200 and newer else None

    updated = await eventually(patched)
    names = {row[1] for row in tables(open_copy(updated.content))["profiles"]}
    assert names == {"Renamed"}


async def test_readiness_reports_a_dead_broker(settings: Settings) -> None:
    from bca.wiring import create_backends

    dead = settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    backends = create_backends(dead)
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011  # any connection error will do
            await backends.tasks.ping()
    finally:
        await backends.close()
