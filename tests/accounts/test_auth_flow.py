"""The account story end to end: sign-up, mail, verification, sign-in, refresh, sign-out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.accounts import DEFAULT_PASSWORD, Api, token_from_text


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    inbox = request.getfixturevalue("smtp_inbox")
    return {"mail_backend": "smtp", "smtp_url": inbox.url}


async def test_signup_to_signout_with_mail_through_real_smtp(api: Api, smtp_inbox: Any) -> None:
    response = await api.client.post(
        "/v1/auth/signup",
        json={"email": "Ada@Example.com", "username": "ada", "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["email"] == "ada@example.com"
    assert user["email_verified"] is False
    assert user["role"] == "user"
    assert set(user) == {
        "id",
        "email",
        "username",
        "nickname",
        "email_verified",
        "role",
        "created_at",
    }

    login = {"login": "ada@example.com", "password": DEFAULT_PASSWORD}
    unverified = await api.client.post("/v1/auth/signin", json=login)
    assert unverified.status_code == 403
    assert unverified.json()["code"] == "email_unverified"

    await api.backends.tasks.drain()
    mails = smtp_inbox.to("ada@example.com")
    assert len(mails) == 1
    text = mails[0].get_body(("plain",)).get_content()
    assert "https://bca.test/verify-email?token=" in text
    token = token_from_text(text, "verify")

    assert (
        await api.client.post("/v1/auth/email/verify", json={"token": token})
    ).status_code == 204
    again = await api.client.post("/v1/auth/email/verify", json={"token": token})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"

    signin = await api.client.post("/v1/auth/signin", json=login | {"device_name": "Pixel 9"})
    assert signin.status_code == 200, signin.text
    tokens = signin.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    assert tokens["user"]["email_verified"] is True
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    me = await api.client.get("/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == "ada"

    refreshed = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    new_tokens = refreshed.json()
    assert new_tokens["session_id"] == tokens["session_id"]
    assert new_tokens["refresh_token"] != tokens["refresh_token"]
    new_headers = {"Authorization": f"Bearer {new_tokens['access_token']}"}

    sessions = await api.client.get("/v1/sessions", headers=new_headers)
    assert sessions.status_code == 200
    [current] = sessions.json()["items"]
    assert current["device_name"] == "Pixel 9"
    assert current["current"] is True

    assert (await api.client.post("/v1/auth/signout", headers=new_headers)).status_code == 204
    for stale in (headers, new_headers):
        after = await api.client.get("/v1/me", headers=stale)
        assert after.status_code == 401
        assert after.headers["WWW-Authenticate"] == 'Bearer realm="B.Ca"'
        assert after.headers["content-type"] == "application/problem+json"
    dead_refresh = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": new_tokens["refresh_token"]}
    )
    assert dead_refresh.status_code == 401
    assert dead_refresh.json()["code"] == "invalid_token"


async def test_password_reset_through_mail(api: Api, smtp_inbox: Any) -> None:
    user = await api.user()
    other_device = await api.signin(user)
    other_headers = {"Authorization": f"Bearer {other_device.json()['access_token']}"}

    assert (
        await api.client.post("/v1/auth/password/reset", json={"email": user.email})
    ).status_code == 202
    await api.backends.tasks.drain()
    token = token_from_text(
        smtp_inbox.to(user.email)[-1].get_body(("plain",)).get_content(), "reset"
    )

    weak = await api.client.post(
        "/v1/auth/password/reset/confirm", json={"token": token, "new_password": user.username}
    )
    assert weak.status_code == 422
    confirm = await api.client.post(
        "/v1/auth/password/reset/confirm", json={"token": token, "new_password": "a new password"}
    )
    assert confirm.status_code == 204
    reused = await api.client.post(
        "/v1/auth/password/reset/confirm", json={"token": token, "new_password": "another one!"}
    )
    assert reused.status_code == 400
    assert reused.json()["code"] == "invalid_token"

    for headers in (user.headers, other_headers):
        assert (await api.client.get("/v1/me", headers=headers)).status_code == 401
    old = await api.signin(user)
    assert old.status_code == 401
    user.password = "a new password"
    assert (await api.signin(user)).status_code == 200
