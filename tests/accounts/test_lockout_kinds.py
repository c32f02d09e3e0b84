"""The lockout across surfaces (issue 22, items 4 and 12).

- A CardDAV success (the user's phone) does not clear wrong passwords, and a sign-in does not
  clear wrong app passwords: an attacker cannot interleave a success to guess forever.
- Wrong app passwords are counted atomically: a burst gets at most the remaining 401s.
- Wrong CardDAV credentials are limited per client address too (logins that name nobody each
  have a lockout of their own).
- The lockout lives in the database: a cache that restarts empty does not open a locked account.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from sqlalchemy import select, update

from bca.accounts.models import SigninFailures
from bca.backends import Backends
from bca.backends.cache import MemoryCache
from bca.backends.tasks import run_task
from bca.core.ratelimit import CARDDAV_FAILURES_PER_ADDRESS, FAILED_SIGNIN_LIMIT
from bca.core.time import utcnow
from tests.factories.accounts import Api, TestUser
from tests.factories.carddav import basic, create_app_password
from tests.fixtures.redis_server import CACHE_DATABASE, suite_redis_url

PROBE = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>'
)
WRONG_APP_PASSWORD = "aaaa-bbbb-cccc-dddd-eeee"


async def dav(api: Api, login: str, secret: str) -> httpx.Response:
    return await api.client.request(
        "PROPFIND", "/dav/", content=PROBE, headers=basic(login, secret) | {"Depth": "0"}
    )


async def wrong_signin(api: Api, user: TestUser) -> int:
    response = await api.client.post(
        "/v1/auth/signin", json={"login": user.username, "password": "not the password"}
    )
    return response.status_code


async def test_a_carddav_success_does_not_clear_wrong_passwords(api: Api) -> None:
    user = await api.user()
    secret = (await create_app_password(api, user))["password"]
    # Four guesses, the phone syncs, four more: the fifth wrong one locks the account.
    for _ in range(FAILED_SIGNIN_LIMIT - 1):
        assert await wrong_signin(api, user) == 401
    assert (await dav(api, user.username, secret)).status_code == 207
    assert await wrong_signin(api, user) == 401
    assert await wrong_signin(api, user) == 429
    assert (await api.signin(user)).status_code == 429
    assert (await dav(api, user.username, secret)).status_code == 429


async def test_a_sign_in_does_not_clear_wrong_app_passwords(api: Api) -> None:
    user = await api.user()
    secret = (await create_app_password(api, user))["password"]
    for _ in range(FAILED_SIGNIN_LIMIT - 1):
        assert (await dav(api, user.username, WRONG_APP_PASSWORD)).status_code == 401
    assert (await api.signin(user)).status_code == 200
    assert (await dav(api, user.username, secret)).status_code == 207
    assert (await dav(api, user.username, WRONG_APP_PASSWORD)).status_code == 401
    locked = await dav(api, user.username, secret)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert (await api.signin(user)).status_code == 429


async def test_a_burst_of_wrong_app_passwords_gets_only_the_remaining_guesses(api: Api) -> None:
    user = await api.user()
    secret = (await create_app_password(api, user))["password"]
    burst = await asyncio.gather(*(dav(api, user.username, WRONG_APP_PASSWORD) for _ in range(25)))
    statuses = Counter(response.status_code for response in burst)
    assert statuses == {401: FAILED_SIGNIN_LIMIT, 429: 25 - FAILED_SIGNIN_LIMIT}, statuses
    assert (await dav(api, user.username, secret)).status_code == 429


class TestPerAddress:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"rate_limit_enabled": True}

    async def test_logins_that_name_nobody_are_limited_per_address(self, api: Api) -> None:
        user = await api.user()
        secret = (await create_app_password(api, user))["password"]
        statuses = Counter(
            [
                (await dav(api, f"nobody-{index}", WRONG_APP_PASSWORD)).status_code
                for index in range(60)
            ]
        )
        allowed = CARDDAV_FAILURES_PER_ADDRESS.requests
        assert statuses == {401: allowed, 429: 60 - allowed}, statuses
        # Right credentials from the same address still work (people share addresses).
        assert (await dav(api, user.username, secret)).status_code == 207


async def _empty_the_cache(backends: Backends) -> None:
    """What a cache restart without persistence leaves: nothing."""
    if isinstance(backends.cache, MemoryCache):
        backends.cache._values.clear()
        return
    client = redis.Redis.from_url(suite_redis_url(CACHE_DATABASE))
    await client.flushdb()
    await client.aclose()


async def test_a_lockout_survives_a_cache_that_restarts_empty(api: Api, backends: Backends) -> None:
    user = await api.user()
    for _ in range(FAILED_SIGNIN_LIMIT):
        assert await wrong_signin(api, user) == 401
    assert (await api.signin(user)).status_code == 429

    await _empty_the_cache(backends)

    again = await api.signin(user)
    assert again.status_code == 429, again.text
    assert again.json()["code"] == "rate_limited"


async def test_ended_failure_counts_are_purged_and_live_lockouts_kept(
    api: Api, backends: Backends
) -> None:
    locked, guessed = await api.user(), await api.user()
    for _ in range(FAILED_SIGNIN_LIMIT):
        assert await wrong_signin(api, locked) == 401
    assert await wrong_signin(api, guessed) == 401
    long_ago = utcnow() - timedelta(hours=1)
    async with backends.database.transaction() as session:
        await session.execute(update(SigninFailures).values(updated_at=long_ago))
        await session.execute(
            update(SigninFailures)
            .where(SigninFailures.account_key == guessed.id)
            .values(password_until=long_ago)
        )

    await run_task(backends, "accounts.purge_signin_failures", {})

    async with backends.database.transaction() as session:
        kept = set(await session.scalars(select(SigninFailures.account_key)))
    assert kept == {locked.id}
    assert (await api.signin(locked)).status_code == 429
    assert (await api.signin(guessed)).status_code == 200
