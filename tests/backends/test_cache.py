"""Both cache implementations behave alike; Redis against the real server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bca.backends.cache import Cache, MemoryCache, RedisCache
from tests.fixtures.redis_server import CACHE_DATABASE, suite_redis_url


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        created: Cache = MemoryCache()
    else:
        created = RedisCache(suite_redis_url(CACHE_DATABASE))
        await created.client.flushdb()
    yield created
    await created.close()


async def test_values_expire(cache: Cache) -> None:
    await cache.set("k", "v", ttl=1)
    assert await cache.get("k") == "v"
    assert await cache.exists("k")
    await asyncio.sleep(1.1)
    assert await cache.get("k") is None
    assert not await cache.exists("k")


async def test_set_if_absent_is_a_lock(cache: Cache) -> None:
    assert await cache.set_if_absent("lock", "a", ttl=5)
    assert not await cache.set_if_absent("lock", "b", ttl=5)
    assert await cache.get("lock") == "a"
    await cache.delete("lock")
    assert await cache.set_if_absent("lock", "c", ttl=5)


async def test_increment_keeps_the_first_window(cache: Cache) -> None:
    assert (await cache.increment("counter", ttl=60))[0] == 1
    count, remaining = await cache.increment("counter", ttl=60)
    assert count == 2
    assert 55 <= remaining <= 60


async def test_publish_reaches_subscribers_of_the_channel_only(cache: Cache) -> None:
    async with cache.subscribe("one") as messages:
        await asyncio.sleep(0.05)
        await cache.publish("two", "ignored")
        await cache.publish("one", "hello")
        channel, message = await asyncio.wait_for(anext(messages), 2)
    assert (channel, message) == ("one", "hello")
