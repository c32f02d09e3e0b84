"""The pages behind the links in verification and reset mails, through plain HTTP.

The browser tests (tests/browser/test_mail_links.py) press the buttons in Chromium; these
cover every outcome: nothing used up by opening a link, used and expired links, refused
passwords that leave the link usable, forms posted from another site.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from bca.accounts.models import EmailToken
from bca.core.time import utcnow
from tests.factories.accounts import DEFAULT_PASSWORD, Api

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def hidden_token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def unverified(api: Api) -> dict[str, str]:
    response = await api.signup()
    assert response.status_code == 201
    return dict(response.json())


async def signin_status(api: Api, login: str, password: str = DEFAULT_PASSWORD) -> int:
    response = await api.client.post("/v1/auth/signin", json={"login": login, "password": password})
    return response.status_code


async def test_verification_link_shows_a_button_and_the_button_verifies(api: Api) -> None:
    user = await unverified(api)
    token = await api.mail_token(user["email"])
    page = await api.client.get("/verify-email", params={"token": token})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "form-action 'self'" in csp
    assert "script-src" not in csp, "no script at all"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<script" not in page.text
    assert hidden_token(page.text) == token
    # Opening the link (as a mail scanner would, twice) used nothing up.
    assert (await api.client.get("/verify-email", params={"token": token})).status_code == 200
    assert await signin_status(api, user["username"]) == 403

    done = await api.client.post("/verify-email", data={"token": token}, headers=SAME_ORIGIN)
    assert done.status_code == 200
    assert "Your email address is verified" in done.text
    # The page leads on to the app's sign-in, which says the address is confirmed.
    assert 'id="open-app" href="/app/signin?verified=1"' in done.text
    assert await signin_status(api, user["username"]) == 200

    used = await api.client.post("/verify-email", data={"token": token}, headers=SAME_ORIGIN)
    assert used.status_code == 400
    assert "This link does not work" in used.text
    reopened = await api.client.get("/verify-email", params={"token": token})
    assert reopened.status_code == 400
    assert 'action="/verify-email/resend"' in reopened.text


async def test_bad_and_expired_verification_links(api: Api) -> None:
    for params in ({}, {"token": "made-up"}, {"token": ""}):
        page = await api.client.get("/verify-email", params=params)
        assert page.status_code == 400
        assert "This link does not work" in page.text
    user = await unverified(api)
    token = await api.mail_token(user["email"])
    async with api.backends.database.transaction() as session:
        await session.execute(update(EmailToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await api.client.get("/verify-email", params={"token": token})).status_code == 400
    expired = await api.client.post("/verify-email", data={"token": token}, headers=SAME_ORIGIN)
    assert expired.status_code == 400
    assert await signin_status(api, user["username"]) == 403


async def test_the_expired_page_asks_for_a_new_link_without_telling_who_exists(api: Api) -> None:
    user = await unverified(api)
    answers = []
    for login in (user["username"], "nobody_here"):
        page = await api.client.post(
            "/verify-email/resend", data={"login": login}, headers=SAME_ORIGIN
        )
        assert page.status_code == 200
        answers.append(page.text)
    assert answers[0] == answers[1]
    assert "Check your mail" in answers[0]
    texts = await api.outbox_texts(user["email"])
    assert len(texts) == 2
    fresh = await api.mail_token(user["email"])
    done = await api.client.post("/verify-email", data={"token": fresh}, headers=SAME_ORIGIN)
    assert done.status_code == 200


async def test_reset_link_form_sets_the_new_password(api: Api) -> None:
    user = await api.user()
    assert (
        await api.client.post("/v1/auth/password/reset", json={"email": user.email})
    ).status_code == 202
    token = await api.mail_token(user.email, "reset")
    page = await api.client.get("/reset-password", params={"token": token})
    assert page.status_code == 200
    assert hidden_token(page.text) == token
    assert 'type="password"' in page.text

    def form(new: str, repeat: str) -> dict[str, str]:
        return {"token": token, "new_password": new, "confirm_password": repeat}

    # Every refusal leaves the link usable and shows the form again.
    for fields, message in (
        (form("a new long password", "a different one"), "The two passwords differ."),
        (form("short", "short"), "8 to 128 characters"),
        (form(user.email, user.email), "must not equal the username or the email"),
    ):
        refused = await api.client.post("/reset-password", data=fields, headers=SAME_ORIGIN)
        assert refused.status_code == 422
        assert message in refused.text
        assert hidden_token(refused.text) == token
    assert await signin_status(api, user.username) == 200, "the old password still works"

    done = await api.client.post(
        "/reset-password",
        data=form("a new long password", "a new long password"),
        headers=SAME_ORIGIN,
    )
    assert done.status_code == 200
    assert "Your password is changed" in done.text
    assert 'id="open-app" href="/app/signin?reset=1"' in done.text
    assert await signin_status(api, user.username) == 401
    assert await signin_status(api, user.username, "a new long password") == 200
    assert (await api.client.get("/v1/me", headers=user.headers)).status_code == 401

    again = await api.client.post(
        "/reset-password",
        data=form("yet another password", "yet another password"),
        headers=SAME_ORIGIN,
    )
    assert again.status_code == 400
    assert "This link does not work" in again.text
    assert (await api.client.get("/reset-password", params={"token": token})).status_code == 400


async def test_the_expired_reset_page_asks_for_a_new_link(api: Api) -> None:
    user = await api.user()
    page = await api.client.get("/reset-password", params={"token": "gone"})
    assert page.status_code == 400
    assert 'action="/reset-password/request"' in page.text
    not_an_address = await api.client.post(
        "/reset-password/request", data={"email": "nope"}, headers=SAME_ORIGIN
    )
    assert not_an_address.status_code == 422
    answers = []
    for email in (user.email, "ghost@example.com"):
        requested = await api.client.post(
            "/reset-password/request", data={"email": email}, headers=SAME_ORIGIN
        )
        assert requested.status_code == 200
        answers.append(requested.text)
    assert answers[0] == answers[1]
    token = await api.mail_token(user.email, "reset")
    assert (await api.client.get("/reset-password", params={"token": token})).status_code == 200


async def test_forms_posted_from_another_site_change_nothing(api: Api) -> None:
    user = await unverified(api)
    token = await api.mail_token(user["email"])
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ):
        refused = await api.client.post("/verify-email", data={"token": token}, headers=headers)
        assert refused.status_code == 403, headers
        assert "another site" in refused.text
        resend = await api.client.post(
            "/verify-email/resend", data={"login": user["username"]}, headers=headers
        )
        assert resend.status_code == 403
    assert await signin_status(api, user["username"]) == 403
    assert len(await api.outbox_texts(user["email"])) == 1
    # The server's own origin (and curl, which sends neither header) may post.
    own = await api.client.post(
        "/verify-email", data={"token": token}, headers={"Origin": "http://testserver"}
    )
    assert own.status_code == 200


async def test_public_resend_through_the_page_is_rate_limited(api: Api) -> None:
    api.backends.settings.rate_limit_enabled = True
    statuses = []
    for _ in range(4):
        page = await api.client.post(
            "/verify-email/resend", data={"login": "someone"}, headers=SAME_ORIGIN
        )
        statuses.append(page.status_code)
    assert statuses == [200, 200, 200, 429]
    assert int(page.headers["retry-after"]) > 0
    assert "Too many requests" in page.text
