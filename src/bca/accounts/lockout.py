"""The failed-sign-in lockout, kept in the database (``SigninFailures``).

After five wrong passwords, or five wrong app passwords, an account answers 429 for fifteen
minutes on every surface (sign-in, password re-checks, CardDAV). Always on (not tied to
``BCA_RATE_LIMIT_ENABLED``): it protects one account's password, not the server's capacity,
and it expires by itself, so nobody can lock another out for good.

Why the database and not the cache: a cache that restarts empty (a Redis without persistence,
a failover to an empty replica) would forget every lockout at once, and an attacker who saw
the restart could guess again at full speed. The counts are written in the request's own
transaction: the errors that refuse a wrong secret (``InvalidCredentials``,
``BasicAuthRequired``) commit it anyway, and on PostgreSQL the counting upsert holds the row's
lock until that commit, so concurrent guesses at one account are counted one after another
(SQLite serialises its writers anyway).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import repository
from bca.accounts.models import User
from bca.core.errors import RateLimited
from bca.core.ratelimit import FAILED_SIGNIN_LIMIT, FAILED_SIGNIN_LOCKOUT_SECONDS
from bca.core.time import utcnow

WINDOW = timedelta(seconds=FAILED_SIGNIN_LOCKOUT_SECONDS)
Kind = Literal["password", "app_password"]


def account_key(user: User | None, login: str) -> str:
    """The account, or a digest of the login text when it names nobody, so that both cases
    answer alike (and a long login cannot grow the key)."""
    if user is not None:
        return str(user.id)
    return "login:" + hashlib.sha256(login.strip().lower().encode()).hexdigest()


def _retry_after(locked_until: datetime, now: datetime) -> int:
    return int((locked_until - now).total_seconds()) + 1


class Lockout:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def attempt_password(self, key: str) -> int:
        """Count one password check *before* the password is verified; 429 while locked.

        Returns the count, for :meth:`password_failed`. The count is rolled back with a 429 (a
        locked account needs no counting) and kept by the refusal of a wrong password.
        """
        now = utcnow()
        count, locked_until = await repository.count_signin_failure(
            self.session, key, kind="password", now=now, window=WINDOW
        )
        if locked_until is not None and locked_until > now:
            raise RateLimited(_retry_after(locked_until, now))
        return count

    async def password_failed(self, key: str, count: int) -> None:
        if count >= FAILED_SIGNIN_LIMIT:
            await self._lock(key, "password")

    async def password_succeeded(self, key: str) -> None:
        """A right password clears the wrong passwords (not the wrong app passwords)."""
        await repository.clear_signin_failures(self.session, key, kind="password")

    async def check(self, key: str) -> None:
        """429 while the account is locked, without counting: app passwords cannot be guessed
        and an honest phone sends many requests at once, so a success writes nothing."""
        self.refuse_while_locked(await repository.signin_locked_until(self.session, key))

    @staticmethod
    def refuse_while_locked(locked_until: datetime | None) -> None:
        """:meth:`check` for a lock read already (with the user, by HTTP Basic)."""
        now = utcnow()
        if locked_until is not None and locked_until > now:
            raise RateLimited(_retry_after(locked_until, now))

    async def app_password_failed(self, key: str) -> None:
        """Count a wrong app password; 429 instead of 401 once the account is locked.

        Counted after the (cheap, constant-time) check, under the row's lock: of a burst of
        concurrent wrong secrets, only those that the limit still allows are told 401.
        """
        now = utcnow()
        count, locked_until = await repository.count_signin_failure(
            self.session, key, kind="app_password", now=now, window=WINDOW
        )
        if locked_until is not None and locked_until > now:
            raise RateLimited(_retry_after(locked_until, now))
        if count >= FAILED_SIGNIN_LIMIT:
            await self._lock(key, "app_password")

    async def _lock(self, key: str, kind: Kind) -> None:
        await repository.lock_signin(self.session, key, kind=kind, until=utcnow() + WINDOW)
