"""A new user's first hour in a real headless Chromium against a real server.

The mail-link pages run with JavaScript switched off (they must work without it); the API
docs run with every request to anywhere but the server blocked (they must work offline).
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, EmbeddedServer
from tests.factories.accounts import DEFAULT_PASSWORD, token_from_text

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]

ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture
def embedded_overrides() -> dict[str, Any]:
    return {"require_email_verification": True}


@contextmanager
def browser_page(server: EmbeddedServer, *, javascript: bool) -> Iterator[tuple[Page, list[str]]]:
    """A page whose requests may only reach ``server``; yields it and the blocked URLs."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1000, "height": 800}, java_script_enabled=javascript
            )
            context.route("**/*", only_the_server)
            yield context.new_page(), blocked
            context.close()
        finally:
            browser.close()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def mail_link(server: EmbeddedServer, address: str, kind: str, *, count: int) -> str:
    """The link in the ``count``-th mail to ``address`` (mail is sent after the response)."""
    outbox = server.settings.outbox_path
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        texts = []
        for path in sorted(outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                body = message.get_body(("plain",))
                assert body is not None, "every mail has a plain-text part"
                texts.append(body.get_content())
        if len(texts) >= count:
            page = "verify-email" if kind == "verify" else "reset-password"
            link = f"{server.url}/{page}?token={token_from_text(texts[count - 1], kind)}"
            assert link in texts[count - 1], "the mail carries the server's own address"
            return link
        time.sleep(0.05)
    raise AssertionError(f"no mail number {count} to {address}")


def signin(server: EmbeddedServer, password: str = DEFAULT_PASSWORD) -> int:
    return httpx.post(
        f"{server.url}/v1/auth/signin", json={"login": "ada", "password": password}
    ).status_code


def test_sign_up_verify_in_the_browser_then_reset_the_password(
    embedded_server: EmbeddedServer,
) -> None:
    server = embedded_server
    signup = httpx.post(
        f"{server.url}/v1/auth/signup",
        json={"email": "ada@example.com", "username": "ada", "password": DEFAULT_PASSWORD},
    )
    assert signup.status_code == 201
    assert signin(server) == 403
    verify_link = mail_link(server, "ada@example.com", "verify", count=1)

    with browser_page(server, javascript=False) as (page, blocked):
        response = page.goto(verify_link)
        assert response is not None
        assert response.status == 200
        assert page.locator("script").count() == 0
        assert signin(server) == 403, "opening the link alone verifies nothing"
        page.locator("#verify").click()
        outcome = page.locator("#outcome")
        assert outcome.inner_text() == "Your email address is verified"
        screenshot(page, "verify-email.png")
        assert signin(server) == 200

        assert (
            httpx.post(
                f"{server.url}/v1/auth/password/reset", json={"email": "ada@example.com"}
            ).status_code
            == 202
        )
        reset_link = mail_link(server, "ada@example.com", "reset", count=2)
        page.goto(reset_link)
        page.locator("#new_password").fill("a brand new password")
        page.locator("#confirm_password").fill("a brand new passw0rd")
        page.locator("#save").click()
        assert page.locator("#error").inner_text() == "The two passwords differ."
        page.locator("#new_password").fill("a brand new password")
        page.locator("#confirm_password").fill("a brand new password")
        screenshot(page, "reset-password-form.png")
        page.locator("#save").click()
        assert page.locator("#outcome").inner_text() == "Your password is changed"
        screenshot(page, "reset-password-done.png")

        used = page.goto(reset_link)
        assert used is not None
        assert used.status == 400
        assert page.locator("#outcome").inner_text() == "This link does not work"
        assert blocked == []

    assert signin(server) == 401
    assert signin(server, "a brand new password") == 200


def test_home_page_and_docs_work_without_the_internet(embedded_server: EmbeddedServer) -> None:
    server = embedded_server
    with browser_page(server, javascript=True) as (page, blocked):
        policy_violations: list[str] = []
        page.on(
            "console",
            lambda message: (
                policy_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(server.url + "/")
        assert page.locator("h1").inner_text() == "B.Ca API server"
        screenshot(page, "home.png")

        page.locator("a[href='/docs']").click()
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock-summary-path")
        assert operations.count() > 50
        paths = set(operations.all_inner_texts())
        assert {"/v1/auth/signup", "/v1/cards/{card_id}/qr", "/v1/sync/changes"} <= {
            path.replace("\u200b", "") for path in paths
        }
        screenshot(page, "docs.png", full_page=False)

        page.goto(server.url + "/redoc")
        page.wait_for_selector("[data-section-id]", timeout=30_000)
        page.get_by_text("/v1/auth/signup").first.wait_for(state="attached", timeout=10_000)
        screenshot(page, "redoc.png", full_page=False)

        assert blocked == [], "the docs reached for something outside the server"
        # ReDoc's "by Redocly" badge names an image on Redocly's CDN; the page's policy stops
        # it before any request is made. Nothing else may be refused.
        assert [text for text in policy_violations if "cdn.redoc.ly" not in text] == []
