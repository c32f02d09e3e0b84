"""A card's address verified through the mailed link in a real Chromium (the mail through
the real SMTP test server), then its badge on the public card page and in its microdata."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, EmbeddedServer
from tests.fixtures.smtp import SmtpInbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]

SCREENSHOT = REPO_ROOT / "test-artifacts" / "card-page-verified.png"
ADDRESS = "grace@navy.example"


@pytest.fixture
def embedded_overrides(smtp_inbox: SmtpInbox) -> dict[str, Any]:
    return {"mail_backend": "smtp", "smtp_url": smtp_inbox.url}


def _card_asking_for_verification(server: EmbeddedServer) -> dict[str, str]:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        body = {"email": "grace@example.com", "username": "grace", "password": "correct horse"}
        assert http.post("/v1/auth/signup", json=body).status_code == 201
        tokens = http.post("/v1/auth/signin", json={"login": "grace", "password": body["password"]})
        headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        me = http.get("/v1/profiles", headers=headers).json()["items"][0]["id"]
        card = http.post(
            f"/v1/profiles/{me}/cards",
            json={
                "name": "Work",
                "data": {
                    "given_name": "Grace",
                    "family_name": "Hopper",
                    "title": "Rear Admiral",
                    "organization": "United States Navy",
                    "emails": [
                        {"value": ADDRESS, "type": "work"},
                        {"value": "grace.hopper@gmail.com", "type": "home"},
                    ],
                },
            },
            headers=headers,
        ).json()
        asked = http.post(
            f"/v1/cards/{card['id']}/verifications", json={"email": ADDRESS}, headers=headers
        )
        assert asked.status_code == 202, asked.text
        link = http.post(f"/v1/cards/{card['id']}/share", headers=headers).json()
        return {"card_id": card["id"], "share_url": link["url"], **headers}


def _mailed_link(inbox: SmtpInbox) -> str:
    deadline = time.monotonic() + 10
    while not inbox.to(ADDRESS):
        assert time.monotonic() < deadline, "the verification mail never came"
        time.sleep(0.05)
    body = inbox.to(ADDRESS)[0].get_body(("plain",))
    assert body is not None
    text = body.get_content()
    found = re.search(r"(http://\S+/verify-card-email\?token=[A-Za-z0-9_\-]+)", text)
    assert found, text
    return found.group(1)


def test_the_mailed_link_verifies_and_the_page_shows_the_badge(
    embedded_server: EmbeddedServer, smtp_inbox: SmtpInbox
) -> None:
    from playwright.sync_api import sync_playwright

    card = _card_asking_for_verification(embedded_server)
    link = _mailed_link(smtp_inbox)
    errors: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
            )
            page = context.new_page()
            # Script errors, and failed loads but the app's icon (web/dist may not be built).
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "response",
                lambda answer: (
                    errors.append(f"{answer.status} {answer.url}")
                    if answer.status >= 400 and "/app/" not in answer.url
                    else None
                ),
            )
            page.goto(link)
            page.locator("#verify").click()
            page.wait_for_selector("#outcome")
            assert page.locator("#outcome").inner_text() == "The address is verified"

            page.goto(card["share_url"])
            badge = page.locator(".verified")
            assert badge.count() == 1
            assert badge.is_visible()
            assert badge.inner_text() == "✓ verified work email"
            # The badge sits beside the verified address, not the unverified gmail one.
            row = page.locator("li", has=badge)
            assert ADDRESS in row.inner_text()
            microdata = page.evaluate(
                """() => {
                  const card = document.querySelector('[itemscope][itemtype$="/Person"]');
                  const ids = [...card.querySelectorAll('[itemprop=identifier]')].map((node) => ({
                    propertyID: node.querySelector('[itemprop=propertyID]').content,
                    value: node.querySelector('[itemprop=value]').content,
                  }));
                  return {
                    name: card.querySelector('[itemprop=name]').textContent,
                    job: card.querySelector('[itemprop=jobTitle]').content,
                    emails: [...card.querySelectorAll('[itemprop=email]')]
                      .map((a) => a.textContent),
                    ids,
                  };
                }"""
            )
            assert microdata == {
                "name": "Grace Hopper",
                "job": "Rear Admiral",
                "emails": [ADDRESS, "grace.hopper@gmail.com"],
                "ids": [{"propertyID": "verified-work-email", "value": ADDRESS}],
            }
            assert page.locator("script").count() == 0
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            context.close()
        finally:
            browser.close()

    assert errors == []
    assert len(smtp_inbox.to(ADDRESS)) == 1  # the address got the one mail it asked for
    with httpx.Client(base_url=embedded_server.url, timeout=10) as http:
        seen = http.get(
            f"/v1/cards/{card['card_id']}", headers={"Authorization": card["Authorization"]}
        )
        assert [entry["email"] for entry in seen.json()["verified"]] == [ADDRESS]
