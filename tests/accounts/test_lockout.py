"""The per-account lockout holds under concurrency and covers every password check.

The count is taken in one atomic increment before the password is verified, so a burst of
guesses cannot slip past a check that none of them has been counted in yet.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from bca.core.ratelimit import FAILED_SIGNIN_LIMIT
from tests.factories.accounts import Api, TestUser

BURST = 25


async def wrong_signin(api: Api, user: TestUser) -> httpx.Response:
    return await api.client.post(
        "/v1/auth/signin", json={"login": user.username, "password": "not the password"}
    )


async def test_a_concurrent_burst_after_four_failures_gets_at_most_one_more_guess(
    api: Api,
) -> None:
    user = await api.user()
    for _ in range(FAILED_SIGNIN_LIMIT - 1):
        assert (await wrong_signin(api, user)).status_code == 401

    burst = await asyncio.gather(*(wrong_signin(api, user) for _ in range(BURST)))

    statuses = Counter(response.status_code for response in burst)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] <= 1, statuses
    limited = next(response for response in burst if response.status_code == 429)
    assert limited.json()["code"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
    # The right password does not open a locked account either.
    right = await api.signin(user)
    assert right.status_code == 429, right.text


async def test_a_success_before_the_limit_starts_the_count_again(api: Api) -> None:
    user = await api.user()
    for _ in range(FAILED_SIGNIN_LIMIT - 1):
        assert (await wrong_signin(api, user)).status_code == 401
    assert (await api.signin(user)).status_code == 200
    for _ in range(FAILED_SIGNIN_LIMIT):
        assert (await wrong_signin(api, user)).status_code == 401
    assert (await wrong_signin(api, user)).status_code == 429
    assert (await api.signin(user)).status_code == 429


async def test_password_change_guesses_count_towards_the_lockout(api: Api) -> None:
    user = await api.user()

    async def change(current: str) -> httpx.Response:
        return await api.client.post(
            "/v1/auth/password/change",
            json={"current_password": current, "new_password": "a brand new passphrase"},
            headers=user.headers,
        )

    statuses = [(await change(f"guess {n}")).status_code for n in range(FAILED_SIGNIN_LIMIT + 1)]
    assert statuses == [401] * FAILED_SIGNIN_LIMIT + [429]
    # The right password is refused too, here and at sign-in, until the window ends.
    assert (await change(user.password)).status_code == 429
    assert (await api.signin(user)).status_code == 429


async def test_account_deletion_guesses_count_towards_the_lockout(api: Api) -> None:
    user = await api.user()

    async def delete(password: str) -> httpx.Response:
        return await api.client.request(
            "DELETE", "/v1/me", json={"password": password}, headers=user.headers
        )

    burst = await asyncio.gather(*(delete(f"guess {n}") for n in range(BURST)))
    statuses = Counter(response.status_code for response in burst)
    assert statuses[401] <= FAILED_SIGNIN_LIMIT, statuses
    assert statuses[429] >= BURST - FAILED_SIGNIN_LIMIT, statuses
    assert (await delete(user.password)).status_code == 429
    # Still there: the account was not deleted by the right password while locked.
    assert (await api.client.get("/v1/me", headers=user.headers)).status_code == 200
