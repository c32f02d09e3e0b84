"""Fixed-window rate limits, kept in the cache; the lockout's limits (the lockout itself lives
in ``bca.accounts.lockout``, in the database)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bca.core.errors import RateLimited


class Cache(Protocol):
    """What the limits need of the cache (``bca.backends.cache`` provides it)."""

    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, *, ttl: int) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def increment(self, key: str, *, ttl: int) -> tuple[int, int]: ...


@dataclass(frozen=True)
class Limit:
    requests: int
    window_seconds: int


SIGNIN_PER_ADDRESS = Limit(30, 60)
CARDDAV_FAILURES_PER_ADDRESS = Limit(30, 60)
"""Wrong CardDAV credentials from one address, whatever the login (each has its lockout)."""
AVAILABILITY_PER_ADDRESS = Limit(60, 60)
SIGNUP_PER_ADDRESS = Limit(10, 600)
RESET_PER_ADDRESS = Limit(5, 900)
RESET_PER_EMAIL = Limit(3, 3600)
RESEND_PER_USER = Limit(3, 900)
RESEND_PER_ADDRESS = Limit(10, 900)
RESEND_PER_LOGIN = Limit(3, 900)

FAILED_SIGNIN_LIMIT = 5
FAILED_SIGNIN_LOCKOUT_SECONDS = 15 * 60


class RateLimiter:
    def __init__(self, cache: Cache, *, enabled: bool) -> None:
        self.cache = cache
        self.enabled = enabled

    async def hit(self, bucket: str, subject: str, limit: Limit) -> None:
        """Count one request; raise 429 once ``subject`` exceeded ``limit`` in this window."""
        remaining = await self._exceeded(bucket, subject, limit)
        if remaining is not None:
            raise RateLimited(remaining)

    async def allow(self, bucket: str, subject: str, limit: Limit) -> bool:
        """Count one request; False once ``subject`` exceeded ``limit``, for callers that must
        not tell the client (a 429 would reveal that the subject exists)."""
        return await self._exceeded(bucket, subject, limit) is None

    async def _exceeded(self, bucket: str, subject: str, limit: Limit) -> int | None:
        """Seconds until the window ends when the limit is exceeded, else None."""
        if not self.enabled:
            return None
        count, remaining = await self.cache.increment(
            f"rate:{bucket}:{subject}", ttl=limit.window_seconds
        )
        return remaining if count > limit.requests else None
