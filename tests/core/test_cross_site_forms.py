"""Public form pages refuse a post when either signal says it came from another site
(issue 22, item 11): ``Origin: null`` alone, or a foreign ``Origin`` beside
``Sec-Fetch-Site: same-origin``, was accepted."""

from __future__ import annotations

import pytest

from tests.factories.accounts import Api

REFUSED = [
    {"Origin": "null"},
    {"Origin": "null", "Sec-Fetch-Site": "none"},
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "none"},
    {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
]
ACCEPTED = [
    {},  # curl: neither header
    {"Origin": "http://testserver"},
    {"Origin": "https://bca.test", "Sec-Fetch-Site": "same-origin"},  # the public URL
    # Our own page's form under Referrer-Policy: no-referrer, in a current browser.
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "same-origin"},
]


@pytest.mark.parametrize(
    "headers", REFUSED, ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items())
)
async def test_a_post_either_signal_calls_cross_site_is_refused(
    api: Api, headers: dict[str, str]
) -> None:
    for path, data in (
        ("/verify-email", {"token": "whatever-token"}),
        ("/verify-email/resend", {"login": "nobody"}),
        ("/reset-password", {"token": "t", "new_password": "x", "confirm_password": "x"}),
    ):
        response = await api.client.post(path, data=data, headers=headers)
        assert response.status_code == 403, (path, headers, response.status_code)
        assert "another site" in response.text


@pytest.mark.parametrize(
    "headers", ACCEPTED, ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items()) or "none"
)
async def test_a_post_from_this_site_reaches_the_form(api: Api, headers: dict[str, str]) -> None:
    response = await api.client.post(
        "/verify-email", data={"token": "not-a-real-token"}, headers=headers
    )
    # Past the origin check: the token itself is what is wrong.
    assert response.status_code == 400, (headers, response.status_code)
