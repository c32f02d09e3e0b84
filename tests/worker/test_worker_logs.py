"""``bca worker`` logs as the API does (issue 22, item 17): JSON lines when the log is not for a
person, Celery's own records among them, no plain-text banner or lines in between."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as redis

from bca.settings import Settings
from tests.factories.accounts import Api
from tests.fixtures.redis_server import suite_redis_url
from tests.fixtures.worker import WorkerProcess, worker_env

BROKER_URL = suite_redis_url(12)


@pytest.fixture
def stack() -> str:
    return "postgres"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"broker_url": BROKER_URL}


@pytest.fixture
async def clean_broker() -> AsyncIterator[None]:
    client = redis.Redis.from_url(BROKER_URL)
    await client.flushdb()
    yield
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def worker(settings: Settings, clean_broker: None) -> Iterator[WorkerProcess]:
    env = worker_env(settings, BCA_LOG_JSON="true", BCA_MAIL_BACKEND="off")
    process = WorkerProcess.start(env, "--pool=solo")
    yield process
    process.stop()


async def test_the_worker_logs_json_lines(api: Api, worker: WorkerProcess) -> None:
    await worker.wait_for_log("ready", timeout=90)  # a busy machine starts it slowly
    await api.signup()  # a verification mail: a task for the worker
    await worker.wait_for_log("accounts.send_email")
    await worker.wait_for_log("succeeded")
    records = []
    for line in worker.output().splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records), records[:3]
    loggers = {record["logger"] for record in records}
    assert any(name.startswith("celery") for name in loggers), loggers
    assert any("accounts.send_email" in record["message"] for record in records)
