"""Search in the app (issue 24), in a Pixel's Chromium against a real ``bca serve``.

Alice holds Bob's card (홍길동, 삼성전자 영업팀) in her wallet. Online, the search screen (from
the top bar's search button) finds it by a part of the company's compound (전자) with the match
marked, and the messages' section answers from the server. Then the network goes away
(``context.set_offline``): the app, reloaded from its service worker, finds the card in its
local database's FTS5 table by 전자 and by its initial consonants (ㅎㄱㄷ), says messages need a
connection, and the back button from a result returns to the query and its results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    LIVE,
    AppServer,
    ConsoleErrors,
    call,
    check,
    friends,
    sign_in,
)
from tests.browser.app.test_offline import controlled, synced

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.timeout(300)

OFFLINE_NOTE = {
    "en": "Messages are searched when you are online.",
    "ko": "메시지는 온라인일 때 검색됩니다.",
}


def search(page: Page, text: str, *, timeout: float = LIVE) -> None:
    """Types ``text`` and waits for its answer (the query in the URL, the results settled)."""
    page.fill("#search-field", text)
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == [text], timeout=LIVE)
    page.locator(".search-results[aria-busy='false']").wait_for(timeout=timeout)


def card_row(page: Page, card_id: str) -> None:
    page.locator(f".search-results a[href='/app/wallet/card/{card_id}']").wait_for(timeout=LIVE)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_search_finds_a_wallet_card_offline(
    new_phone: NewPhone, app_server: AppServer, lang: str, console_errors: ConsoleErrors
) -> None:
    console_errors.allow(r"ERR_INTERNET_DISCONNECTED")
    alice, bob = friends(app_server)
    card = call(
        app_server,
        bob,
        "POST",
        f"/v1/profiles/{bob.profile_id}/cards",
        json={
            "name": "홍길동",
            "data": {"organization": "삼성전자 영업팀", "title": "팀장", "phone": "010-2345-6789"},
        },
    )
    share = call(app_server, bob, "POST", f"/v1/cards/{card['id']}/share")
    call(
        app_server,
        alice,
        "PUT",
        f"/v1/profiles/{alice.profile_id}/subscriptions/{card['id']}",
        params={"share_token": share["token"]},
    )

    page = new_phone(lang)
    sign_in(page, alice)
    user_id = call(app_server, alice, "GET", "/v1/me")["id"]
    page.locator("text=홍길동").first.wait_for(timeout=LIVE)
    synced(page, user_id)
    controlled(page)

    # Online: from the top bar's button; the card by a part of a compound, the match marked.
    page.locator("a.icon-btn[href='/app/search']").click()
    page.wait_for_url("**/app/search", timeout=LIVE)
    # Online, the results settle with the server's answer too; its first search loads Kiwi
    # (seconds on a busy machine).
    search(page, "전자", timeout=120_000)
    card_row(page, card["id"])
    marked = page.locator(f".search-results a[href='/app/wallet/card/{card['id']}'] mark")
    assert "전자" in marked.all_inner_texts()
    # The server's answer for messages (none here) took the place kept for it.
    assert page.locator(".search-pending").count() == 0

    page.context.set_offline(True)
    page.goto("/app/search")
    page.locator(".offline-bar").wait_for(timeout=LIVE)
    search(page, "전자")
    card_row(page, card["id"])
    assert page.locator(".search-messages").inner_text().strip().endswith(OFFLINE_NOTE[lang])
    search(page, "ㅎㄱㄷ")
    card_row(page, card["id"])
    initials = page.locator(f".search-results a[href='/app/wallet/card/{card['id']}'] mark")
    assert initials.all_inner_texts() == ["홍길동"]
    check(page, "search-offline")

    # A result and back: the query and its results are there again.
    page.locator(f".search-results a[href='/app/wallet/card/{card['id']}']").click()
    page.wait_for_url(f"**/app/wallet/card/{card['id']}", timeout=LIVE)
    page.go_back()
    page.wait_for_url("**/app/search?q=*", timeout=LIVE)
    assert page.input_value("#search-field") == "ㅎㄱㄷ"
    card_row(page, card["id"])
    page.context.set_offline(False)
