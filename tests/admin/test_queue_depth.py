"""The dashboard's queue depth, as the real brokers tell it (Redis list length, SQS count)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import redis

from bca.admin.service import queue_depth
from bca.backends import Backends
from bca.settings import Settings, load_settings
from bca.wiring import create_backends
from tests.fixtures.moto import create_queue, sqs_task_settings
from tests.fixtures.redis_server import suite_redis_url

BROKER_URL = suite_redis_url(10)


def _settings(tmp_path: Any, **values: Any) -> Settings:
    return load_settings(data_dir=tmp_path / "var", secret_key="k" * 40, **values)


async def _depth_after_sends(backends: Backends, sends: int) -> int | None:
    for _ in range(sends):
        await backends.tasks.enqueue("sync.compact_changes")
    return await queue_depth(backends)


async def test_redis_broker_tells_its_queue_length(tmp_path: Any) -> None:
    redis.Redis.from_url(BROKER_URL).flushdb()
    backends = create_backends(_settings(tmp_path, broker_url=BROKER_URL))
    try:
        assert await queue_depth(backends) == 0
        assert await _depth_after_sends(backends, 3) == 3
    finally:
        await backends.close()
        redis.Redis.from_url(BROKER_URL).flushdb()


async def test_sqs_tells_its_approximate_count(tmp_path: Any, moto_endpoint: str) -> None:
    queue = create_queue(moto_endpoint, "bca-depth")
    backends = create_backends(_settings(tmp_path, **sqs_task_settings(moto_endpoint, queue)))
    try:
        assert await queue_depth(backends) == 0
        await _depth_after_sends(backends, 2)
        deadline = time.monotonic() + 5
        while await queue_depth(backends) != 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
    finally:
        await backends.close()


async def test_an_unreachable_broker_is_unknown(tmp_path: Any) -> None:
    backends = create_backends(_settings(tmp_path, broker_url="redis://127.0.0.1:1/0"))
    try:
        assert await queue_depth(backends) is None
    finally:
        await backends.close()
