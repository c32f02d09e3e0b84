"""The app's shell in a Pixel's Chromium: it opens on both stacks in Korean and English with no
console error and nothing axe-core calls serious, loads nothing from elsewhere, and Chromium
finds it installable (manifest, icons, a service worker with a fetch handler)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    AppServer,
    ConsoleErrors,
    axe,
    installability_errors,
    page_lang,
    persistent_phone,
    shot,
)

if TYPE_CHECKING:
    from playwright.sync_api import Playwright, Request

OWN = ("data:", "blob:")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_app_opens_in_the_phones_language_clean(
    new_phone: NewPhone, app_server: AppServer, lang: str
) -> None:
    page = new_phone()
    elsewhere: list[str] = []

    def watch(request: Request) -> None:
        if not request.url.startswith((app_server.url + "/", *OWN)):
            elsewhere.append(request.url)

    page.context.on("request", watch)
    response = page.reload(wait_until="networkidle")
    assert response is not None
    assert response.ok
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.wait_for_function("document.body.innerText.trim().length > 0")
    assert page_lang(page) == lang, "the app speaks the browser's language"
    axe(page, name=f"the first screen ({lang})")
    shot(page, "first-screen")
    assert elsewhere == [], "the app loads nothing from another origin"


@pytest.mark.parametrize("app_stack", ["sqlite"], scope="module")
def test_chromium_finds_the_app_installable(
    app_server: AppServer,
    app_playwright: Playwright,
    console_errors: ConsoleErrors,
    tmp_path: Path,
) -> None:
    with persistent_phone(app_playwright, tmp_path / "profile") as context:
        console_errors.watch_context(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(app_server.app_url)
        assert installability_errors(page) == []
        href = page.locator("link[rel=manifest]").get_attribute("href")
        assert href is not None
    manifest = httpx.get(httpx.URL(app_server.app_url).join(href))
    assert manifest.headers["content-type"] == "application/manifest+json"
    fields = manifest.json()
    assert fields["display"] in ("standalone", "fullscreen", "minimal-ui")
    assert fields["start_url"].startswith("/app/")
    sizes = {icon["sizes"] for icon in fields["icons"]}
    assert {"192x192", "512x512"} <= sizes
