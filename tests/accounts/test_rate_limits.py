from __future__ import annotations

from typing import Any

import pytest

from tests.factories.accounts import Api


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limit_enabled": True}


async def test_signup_is_rate_limited_per_address(api: Api) -> None:
    statuses = [(await api.signup()).status_code for _ in range(11)]
    assert statuses == [201] * 10 + [429]
    limited = await api.signup()
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0


async def test_reset_is_rate_limited_per_email_without_revealing_anything(api: Api) -> None:
    statuses = [
        (
            await api.client.post("/v1/auth/password/reset", json={"email": "who@example.com"})
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [202, 202, 202, 429]


async def test_resend_is_rate_limited_per_user(api: Api, backends: Any) -> None:
    backends.settings.require_email_verification = False
    response = await api.signup()
    signin = await api.client.post(
        "/v1/auth/signin",
        json={"login": response.json()["username"], "password": "correct horse battery"},
    )
    headers = {"Authorization": f"Bearer {signin.json()['access_token']}"}
    statuses = [
        (await api.client.post("/v1/auth/email/resend", headers=headers)).status_code
        for _ in range(4)
    ]
    assert statuses == [202, 202, 202, 429]


async def test_public_resend_is_limited_per_login_and_silently_per_account(api: Api) -> None:
    stuck = (await api.signup()).json()
    # The per-login limit answers 429 alike for an account and for nobody.
    for login in (stuck["username"], "nobody_at_all"):
        statuses = [
            (await api.client.post("/v1/auth/email/resend", json={"login": login})).status_code
            for _ in range(4)
        ]
        assert statuses == [202, 202, 202, 429], login
    # Switching to the email address passes the per-login limit, but the account had its
    # three mails: the answer stays 202 and nothing more is sent.
    by_email = await api.client.post("/v1/auth/email/resend", json={"login": stuck["email"]})
    assert by_email.status_code == 202
    assert len(await api.outbox_texts(stuck["email"])) == 1 + 3


async def test_public_resend_is_limited_per_address(api: Api) -> None:
    statuses = [
        (await api.client.post("/v1/auth/email/resend", json={"login": f"someone{n}"})).status_code
        for n in range(11)
    ]
    assert statuses == [202] * 10 + [429]


async def test_availability_is_limited_per_address(api: Api) -> None:
    responses = [
        await api.client.get("/v1/auth/availability", params={"username": f"name{n}"})
        for n in range(61)
    ]
    assert [response.status_code for response in responses] == [200] * 60 + [429]
    assert int(responses[-1].headers["Retry-After"]) > 0


async def test_the_revocation_set_alone_rejects_a_token(api: Api) -> None:
    """The cache's revocation set is checked before the database: an entry there is enough."""
    from uuid import UUID

    from bca.accounts.sessions import revoked_session_key

    user = await api.user()
    await api.backends.cache.set(revoked_session_key(UUID(user.session_id)), "1", ttl=60)
    assert (await api.client.get("/v1/me", headers=user.headers)).status_code == 401
