"""Celery on SQS (moto's server): a real ``bca worker`` consuming the predefined queue."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from bca.backends import Backends
from bca.settings import Settings
from tests.factories.accounts import Api
from tests.factories.sync import open_copy, tables, worker_user
from tests.fixtures.moto import create_queue, sqs_task_settings
from tests.fixtures.worker import WorkerProcess, eventually, worker_env


@pytest.fixture
def stack() -> str:
    return "postgres"


@pytest.fixture
def sqs_queue(moto_endpoint: str) -> str:
    return create_queue(moto_endpoint, "bca-tasks")


@pytest.fixture
def settings_overrides(moto_endpoint: str, sqs_queue: str) -> dict[str, Any]:
    return sqs_task_settings(moto_endpoint, sqs_queue) | {
        "task_visibility_timeout": 30,
        "sync_snapshot_debounce_seconds": 0,
    }


async def test_tasks_run_on_a_worker_fed_by_sqs(
    api: Api, client: httpx.AsyncClient, backends: Backends, settings: Settings
) -> None:
    async def broker_ready() -> bool:
        # Each check has 3 s; on a busy machine the first SQS connection may take longer.
        ready = await client.get("/readyz")
        return bool(ready.json()["checks"]["broker"] == "ok")

    await eventually(broker_ready, timeout=20)
    worker = WorkerProcess.start(worker_env(settings), "--pool=solo")
    try:
        await worker.wait_for_log("ready")
        alice = await worker_user(client, backends, api)

        async def built() -> httpx.Response | None:
            response = await client.get("/v1/sync/snapshot", headers=alice.headers)
            return response if response.status_code == 200 else None

        snapshot = await eventually(built)
    finally:
        worker.stop()
    assert "accounts.send_email" in worker.output()
    assert len(tables(open_copy(snapshot.content))["profiles"]) == 1


async def test_readiness_sees_a_missing_queue(settings: Settings, moto_endpoint: str) -> None:
    from bca.wiring import create_backends

    missing = settings.model_copy(
        update={
            "aws_task_sqs_url": f"{moto_endpoint}/123456789012/no-such-queue-{uuid.uuid4().hex}"
        }
    )
    backends = create_backends(missing)
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011  # the queue does not exist
            await backends.tasks.ping()
    finally:
        await backends.close()
