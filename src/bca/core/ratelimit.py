"""Fixed-window rate limits and the failed-sign-in lockout, both kept in the cache."""

from __future__ import annotations

import time
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


class SigninLockout:
    """After five consecutive failures an account answers 429 for fifteen minutes.

    Always on (not tied to ``BCA_RATE_LIMIT_ENABLED``): it protects one account's password, not
    the server's capacity. The lockout expires by itself, so nobody can lock another out for
    good. Keys are the account id, or the login text when it names nobody, so that both cases
    answer alike.

    Every password check is counted *before* the password is verified, in one atomic increment
    (:meth:`attempt`): a burst of concurrent guesses cannot all pass a check that is read
    before any of them is recorded. A success clears the count; a failure keeps it, and the one
    that reaches the limit restarts the window so that the lockout lasts its full time.
    """

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def attempt(self, account_key: str) -> int:
        """Count one password check; 429 once the account is locked, else the count so far."""
        count, remaining = await self.cache.increment(
            _failures_key(account_key), ttl=FAILED_SIGNIN_LOCKOUT_SECONDS
        )
        if count > FAILED_SIGNIN_LIMIT:
            raise RateLimited(remaining)
        return count

    async def check(self, account_key: str) -> None:
        """429 if the account is locked, without counting: for credentials that cannot be
        guessed (app passwords), whose honest clients send many requests at once."""
        until = await self.cache.get(_lock_key(account_key))
        if until is not None:
            raise RateLimited(int(float(until) - time.time()) + 1)

    async def record_failure(self, account_key: str) -> None:
        """A wrong secret that :meth:`attempt` did not count (after :meth:`check`)."""
        count, _ = await self.cache.increment(
            _failures_key(account_key), ttl=FAILED_SIGNIN_LOCKOUT_SECONDS
        )
        await self.failed(account_key, count)

    async def failed(self, account_key: str, count: int) -> None:
        """The check that :meth:`attempt` counted as ``count`` found a wrong password."""
        if count < FAILED_SIGNIN_LIMIT:
            return
        until = time.time() + FAILED_SIGNIN_LOCKOUT_SECONDS
        await self.cache.set(_lock_key(account_key), str(until), ttl=FAILED_SIGNIN_LOCKOUT_SECONDS)
        # Left at the limit, so that every attempt is refused for the lockout's full time.
        await self.cache.set(
            _failures_key(account_key), str(count), ttl=FAILED_SIGNIN_LOCKOUT_SECONDS
        )

    async def record_success(self, account_key: str) -> None:
        await self.cache.delete(_failures_key(account_key))


def _failures_key(account_key: str) -> str:
    return f"signin-failures:{account_key}"


def _lock_key(account_key: str) -> str:
    return f"signin-lock:{account_key}"
