"""Sign-up validation, uniqueness under races, availability and enumeration resistance."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.factories.accounts import DEFAULT_PASSWORD, Api


@pytest.mark.parametrize(
    ("fields", "location"),
    [
        ({"username": "Ab"}, "username"),
        ({"username": "UPPER"}, "username"),
        ({"username": "x" * 33}, "username"),
        ({"password": "short"}, "password"),
        ({"password": "p" * 129}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_signup_rejects_bad_input(api: Api, fields: dict[str, Any], location: str) -> None:
    response = await api.signup(**fields)
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "validation_error"
    assert any(location in error["loc"] for error in problem["errors"])
    # Only where and what: the raw input (a password, say) is never echoed back.
    assert all(set(error) == {"loc", "msg"} for error in problem["errors"])


@pytest.mark.parametrize("same_as", ["username", "email"])
async def test_password_must_differ_from_username_and_email(api: Api, same_as: str) -> None:
    body = {"email": "grace@example.com", "username": "grace_h", "password": DEFAULT_PASSWORD}
    body["password"] = body[same_as].upper()
    response = await api.client.post("/v1/auth/signup", json=body)
    assert response.status_code == 422


async def test_duplicates_answer_409_with_specific_codes(api: Api) -> None:
    assert (await api.signup(email="linus@example.com", username="linus")).status_code == 201
    email = await api.signup(email="LINUS@example.com")
    assert email.status_code == 409
    assert email.json()["code"] == "email_taken"
    username = await api.signup(username="linus")
    assert username.status_code == 409
    assert username.json()["code"] == "username_taken"


async def test_concurrent_signups_with_one_email_give_one_account(api: Api, stack: str) -> None:
    responses = await asyncio.gather(
        *(api.signup(email="race@example.com", username=f"racer{n}") for n in range(20))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 19, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"email_taken"}


async def test_availability(api: Api) -> None:
    await api.signup(email="taken@example.com", username="taken")
    response = await api.client.get(
        "/v1/auth/availability", params={"email": "TAKEN@example.com", "username": "free_one"}
    )
    assert response.status_code == 200
    assert response.json() == {"email": False, "username": True}
    only = await api.client.get("/v1/auth/availability", params={"username": "taken"})
    assert only.json() == {"username": False}, "a field not asked about is left out"
    only_email = await api.client.get("/v1/auth/availability", params={"email": "x@example.com"})
    assert only_email.json() == {"email": True}
    bad = await api.client.get("/v1/auth/availability", params={"username": "NO!"})
    assert bad.status_code == 422
    for params in ({}, {"email": ""}, {"surprise": "x"}):
        nothing = await api.client.get("/v1/auth/availability", params=params)
        assert nothing.status_code == 422, params
        assert nothing.json()["code"] == "validation_error"


async def test_signin_errors_are_identical_for_unknown_user_and_wrong_password(api: Api) -> None:
    user = await api.user()
    wrong = await api.client.post(
        "/v1/auth/signin", json={"login": user.username, "password": "wrong password"}
    )
    unknown = await api.client.post(
        "/v1/auth/signin", json={"login": "nobody_here", "password": "wrong password"}
    )
    unknown_email = await api.client.post(
        "/v1/auth/signin", json={"login": "nobody@example.com", "password": "wrong password"}
    )
    bodies = []
    for response in (wrong, unknown, unknown_email):
        assert response.status_code == 401
        body = response.json()
        body.pop("request_id", None)
        bodies.append(body)
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["code"] == "invalid_credentials"


async def test_password_reset_does_not_reveal_accounts(api: Api) -> None:
    user = await api.user()
    known = await api.client.post("/v1/auth/password/reset", json={"email": user.email})
    unknown = await api.client.post("/v1/auth/password/reset", json={"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content == b""
    assert set(known.headers) - {"x-request-id"} == set(unknown.headers) - {"x-request-id"}
    assert await api.outbox_texts("ghost@example.com") == []
    assert len(await api.outbox_texts(user.email)) == 2  # verification, then reset


async def test_five_failed_signins_lock_the_account_for_a_while(api: Api) -> None:
    user = await api.user()
    for _ in range(5):
        failed = await api.client.post(
            "/v1/auth/signin", json={"login": user.email, "password": "not the password"}
        )
        assert failed.status_code == 401
    locked = await api.signin(user)
    assert locked.status_code == 429
    assert locked.json()["code"] == "rate_limited"
    assert 800 < int(locked.headers["Retry-After"]) <= 901
    # Unknown logins are treated alike, so the 429 says nothing about existence.
    for _ in range(5):
        await api.client.post("/v1/auth/signin", json={"login": "phantom", "password": "xxxxxxxx"})
    phantom = await api.client.post("/v1/auth/signin", json={"login": "phantom", "password": "x"})
    assert phantom.status_code == 429


async def test_success_resets_the_failure_count(api: Api) -> None:
    user = await api.user()
    for _ in range(4):
        await api.client.post(
            "/v1/auth/signin", json={"login": user.email, "password": "nope nope"}
        )
    assert (await api.signin(user)).status_code == 200
    for _ in range(4):
        await api.client.post(
            "/v1/auth/signin", json={"login": user.email, "password": "nope nope"}
        )
    assert (await api.signin(user)).status_code == 200


async def test_resend_verification(api: Api) -> None:
    response = await api.signup()
    login = {"login": response.json()["username"], "password": DEFAULT_PASSWORD}
    assert (await api.client.post("/v1/auth/signin", json=login)).status_code == 403
    verified = await api.user()
    again = await api.client.post("/v1/auth/email/resend", headers=verified.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "already_verified"
    anonymous = await api.client.post("/v1/auth/email/resend")
    assert anonymous.status_code == 422, "the public form needs {login}"
    both = await api.client.post(
        "/v1/auth/email/resend", headers=verified.headers, json={"login": verified.username}
    )
    assert both.status_code == 422
    bad_token = await api.client.post(
        "/v1/auth/email/resend",
        headers={"Authorization": "Bearer nonsense"},
        json={"login": verified.username},
    )
    assert bad_token.status_code == 401, "a bad token is not taken for the public form"


async def test_public_resend_helps_the_stuck_and_tells_nobody_anything(api: Api) -> None:
    """Signed out and unverified (sign-in answers 403): {login} brings a new link."""
    stuck = (await api.signup()).json()
    verified = await api.user()
    answers = []
    for login in (stuck["username"], stuck["email"].upper(), verified.email, "nobody", "x@y.z"):
        response = await api.client.post("/v1/auth/email/resend", json={"login": login})
        assert response.status_code == 202, login
        assert response.content == b""
        answers.append(set(response.headers) - {"x-request-id"})
    assert all(headers == answers[0] for headers in answers)
    texts = await api.outbox_texts(stuck["email"])
    assert len(texts) == 3, "signup, then one per resend (by username and by email)"
    assert len(await api.outbox_texts(verified.email)) == 1, "a verified account gets nothing"
    newest = await api.mail_token(stuck["email"])
    assert (
        await api.client.post("/v1/auth/email/verify", json={"token": newest})
    ).status_code == 204
    signin = await api.client.post(
        "/v1/auth/signin", json={"login": stuck["username"], "password": DEFAULT_PASSWORD}
    )
    assert signin.status_code == 200


async def test_unverified_users_may_sign_in_when_verification_is_off(
    api: Api, backends: Any
) -> None:
    backends.settings.require_email_verification = False
    response = await api.signup()
    login = {"login": response.json()["username"], "password": DEFAULT_PASSWORD}
    signin = await api.client.post("/v1/auth/signin", json=login)
    assert signin.status_code == 200
    headers = {"Authorization": f"Bearer {signin.json()['access_token']}"}
    assert (await api.client.post("/v1/auth/email/resend", headers=headers)).status_code == 202
    assert len(await api.outbox_texts(response.json()["email"])) == 2


async def test_first_profile_is_created_with_the_account(api: Api) -> None:
    from sqlalchemy import select

    from bca.profiles.models import Profile

    user = await api.user(nickname="Ada L.")
    async with api.backends.database.transaction() as session:
        names = (await session.scalars(select(Profile.name))).all()
    assert "Ada L." in names
    assert user.id
