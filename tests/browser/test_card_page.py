"""The public card page in a real headless Chromium against a real server."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
import vobject
from PIL import Image

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, EmbeddedServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]

SCREENSHOT = REPO_ROOT / "test-artifacts" / "card-page.png"


def _shared_card(server: EmbeddedServer) -> dict[str, str]:
    """Sign up, make a card with a preview and share it, all through the HTTP API."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        signup = http.post(
            "/v1/auth/signup",
            json={
                "email": "grace@example.com",
                "username": "grace",
                "password": "correct horse battery",
            },
        )
        assert signup.status_code == 201, signup.text
        tokens = http.post(
            "/v1/auth/signin", json={"login": "grace", "password": "correct horse battery"}
        )
        assert tokens.status_code == 200, tokens.text
        headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        me = http.get("/v1/profiles", headers=headers).json()["items"][0]["id"]
        card = http.post(
            f"/v1/profiles/{me}/cards",
            json={
                "name": "Work",
                "data": {
                    "honorific_prefix": "Rear Admiral",
                    "given_name": "Grace",
                    "family_name": "Hopper",
                    "title": "Computer scientist",
                    "organization": "United States Navy",
                    "department": "Naval Data Automation",
                    "emails": [{"value": "grace@example.com", "type": "work"}],
                    "phones": [{"value": "+1 202 555 0100", "type": "work"}],
                    "urls": ["https://example.com/grace"],
                    "address": {"locality": "Arlington", "region": "VA", "country": "USA"},
                    "note": "It's easier to ask forgiveness than it is to get permission.",
                },
            },
            headers=headers,
        )
        assert card.status_code == 201, card.text
        preview = io.BytesIO()
        Image.new("RGB", (1200, 630), (36, 87, 214)).save(preview, "PNG")
        uploaded = http.put(
            f"/v1/cards/{card.json()['id']}/preview",
            files={"file": ("preview.png", preview.getvalue(), "image/png")},
            headers=headers,
        )
        assert uploaded.status_code == 200, uploaded.text
        link = http.post(f"/v1/cards/{card.json()['id']}/share", headers=headers)
        assert link.status_code == 201, link.text
        return {
            "url": link.json()["url"],
            "card_id": card.json()["id"],
            "authorization": headers["Authorization"],
        }


def test_card_page_renders_and_saves_the_contact(
    embedded_server: EmbeddedServer, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    shared = _shared_card(embedded_server)
    assert shared["url"].startswith(embedded_server.url + "/c/")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                accept_downloads=True,
            )
            page = context.new_page()
            response = page.goto(shared["url"])
            assert response is not None
            assert response.status == 200

            name = page.locator("#name")
            assert name.is_visible()
            assert name.inner_text() == "Rear Admiral Grace Hopper"
            assert page.get_by_text("United States Navy", exact=False).is_visible()
            assert page.locator("script").count() == 0
            # Mobile-friendly: nothing wider than the phone's screen.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            preview = page.locator("img.preview")
            assert preview.is_visible()
            assert page.evaluate("document.querySelector('img.preview').naturalWidth") == 1200, (
                "the preview image loads from the page's own origin"
            )

            og = {
                prop: page.locator(f'meta[property="og:{prop}"]').get_attribute("content")
                for prop in ("title", "description", "url", "image")
            }
            assert og["title"] == "Rear Admiral Grace Hopper"
            assert "United States Navy" in (og["description"] or "")
            assert og["url"] == shared["url"]
            assert og["image"] == shared["url"] + "/preview"

            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            with page.expect_download() as download_info:
                page.locator("#save-contact").click()
            download = download_info.value
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)

            # Revoking the link takes the page down at once.
            revoked = httpx.delete(
                f"{embedded_server.url}/v1/cards/{shared['card_id']}/share",
                headers={"Authorization": shared["authorization"]},
            )
            assert revoked.status_code == 204
            gone = page.goto(shared["url"])
            assert gone is not None
            assert gone.status == 404
            assert page.get_by_text("This card is not available").is_visible()
            context.close()
        finally:
            browser.close()

    assert saved.suffix == ".vcf"
    contact = vobject.readOne(saved.read_text(encoding="utf-8"))
    assert contact.version.value == "4.0"
    assert contact.fn.value == "Rear Admiral Grace Hopper"
    assert contact.n.value.family == "Hopper"
    assert contact.org.value == ["United States Navy", "Naval Data Automation"]
    assert [email.value for email in contact.email_list] == ["grace@example.com"]
    assert [tel.value for tel in contact.tel_list] == ["+1 202 555 0100"]
    assert SCREENSHOT.stat().st_size > 10_000
