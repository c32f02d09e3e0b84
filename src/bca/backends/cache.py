"""Shared fast state: token revocation, rate-limit counters, locks and pub/sub between instances.

Two implementations behind one interface: in-process (embedded default, one process only) and
Redis (any number of API instances and workers).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

# A subscription: entered, it yields (channel, message) pairs until left.
Messages = AbstractAsyncContextManager[AsyncIterator[tuple[str, str]]]


class Cache(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, *, ttl: int) -> None: ...
    async def set_if_absent(self, key: str, value: str, *, ttl: int) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def exists(self, key: str) -> bool: ...

    async def increment(self, key: str, *, ttl: int) -> tuple[int, int]:
        """Add one to a counter that expires ``ttl`` seconds after its first increment.

        Returns the new count and the seconds until the counter expires.
        """
        ...

    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, *channels: str) -> Messages: ...

    async def ping(self) -> None: ...
    async def close(self) -> None: ...


class MemoryCache:
    """In-process cache for the embedded default; state dies with the process."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._subscribers: defaultdict[str, set[asyncio.Queue[tuple[str, str]]]] = defaultdict(set)

    def _live(self, key: str) -> tuple[str, float] | None:
        entry = self._values.get(key)
        if entry is not None and entry[1] <= time.monotonic():
            del self._values[key]
            return None
        return entry

    async def get(self, key: str) -> str | None:
        entry = self._live(key)
        return entry[0] if entry else None

    async def set(self, key: str, value: str, *, ttl: int) -> None:
        self._values[key] = (value, time.monotonic() + ttl)

    async def set_if_absent(self, key: str, value: str, *, ttl: int) -> bool:
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl=ttl)
        return True

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def exists(self, key: str) -> bool:
        return self._live(key) is not None

    async def increment(self, key: str, *, ttl: int) -> tuple[int, int]:
        entry = self._live(key)
        now = time.monotonic()
        count, expires = (int(entry[0]) + 1, entry[1]) if entry else (1, now + ttl)
        self._values[key] = (str(count), expires)
        return count, max(1, round(expires - now))

    async def publish(self, channel: str, message: str) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            queue.put_nowait((channel, message))

    @asynccontextmanager
    async def _subscription(
        self, channels: tuple[str, ...]
    ) -> AsyncIterator[AsyncIterator[tuple[str, str]]]:
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        for channel in channels:
            self._subscribers[channel].add(queue)

        async def messages() -> AsyncIterator[tuple[str, str]]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            for channel in channels:
                self._subscribers[channel].discard(queue)

    def subscribe(self, *channels: str) -> Messages:
        return self._subscription(channels)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._values.clear()


REDIS_MAX_CONNECTIONS = 200
"""Per process. A burst beyond it waits for a free connection (up to REDIS_POOL_TIMEOUT)
instead of failing, as redis-py's default pool does."""
REDIS_POOL_TIMEOUT = 10.0


class RedisCache:
    def __init__(self, url: str) -> None:
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=REDIS_MAX_CONNECTIONS,
            timeout=REDIS_POOL_TIMEOUT,
            decode_responses=True,
            # A pooled connection that died with the server is found out before use, and a
            # command that meets a dropped connection is retried once on a fresh one.
            health_check_interval=5,
            socket_connect_timeout=2,
            socket_timeout=5,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        )
        self._client: redis.Redis = redis.Redis.from_pool(pool)  # closes the pool with it

    @property
    def client(self) -> redis.Redis:
        return self._client

    async def get(self, key: str) -> str | None:
        value = await self._client.get(key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str, *, ttl: int) -> None:
        await self._client.set(key, value, ex=ttl)

    async def set_if_absent(self, key: str, value: str, *, ttl: int) -> bool:
        return bool(await self._client.set(key, value, ex=ttl, nx=True))

    async def delete(self, key: str) -> None:
        await self._client.delete(key)

    async def exists(self, key: str) -> bool:
        return bool(await self._client.exists(key))

    async def increment(self, key: str, *, ttl: int) -> tuple[int, int]:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)
            pipe.ttl(key)
            count, _, remaining = await pipe.execute()
        return int(count), max(1, int(remaining))

    async def publish(self, channel: str, message: str) -> None:
        await self._client.publish(channel, message)

    @asynccontextmanager
    async def _subscription(
        self, channels: tuple[str, ...]
    ) -> AsyncIterator[AsyncIterator[tuple[str, str]]]:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(*channels)

        async def messages() -> AsyncIterator[tuple[str, str]]:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    yield str(message["channel"]), str(message["data"])

        try:
            yield messages()
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped

    def subscribe(self, *channels: str) -> Messages:
        return self._subscription(channels)

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose()


def create_cache(redis_url: str | None) -> Cache:
    return RedisCache(redis_url) if redis_url else MemoryCache()
