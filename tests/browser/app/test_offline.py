"""The app offline (issue 23), in a Pixel's Chromium against a real ``bca serve``, both stacks.

Alice holds Bob's card, keeps a contact and chats with Bob (set up over HTTP). She signs in,
the app syncs her local database (sqlite-wasm on OPFS) and she opens the chat once. Then the
network goes away (``context.set_offline``) and the app is reloaded: the service worker starts
the shell, and the wallet, contacts, chat list and the chat's recent messages appear from the
local database, under the banner "offline — last synced <time>". Back online, a card edited by
its owner meanwhile shows in her wallet. Screenshots of the offline screens in both languages.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    LIVE,
    Account,
    AppServer,
    ConsoleErrors,
    call,
    check,
    make_account,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.timeout(300)

BANNER = {"en": "Offline — last synced", "ko": "오프라인 — 마지막 동기화"}


def follow(server: AppServer, follower: Account, target: Account) -> None:
    relation = call(
        server,
        follower,
        "PUT",
        f"/v1/profiles/{follower.profile_id}/relations/{target.profile_id}",
        json={"status": "follow"},
    )
    if relation["status"] == "follow_requested":
        call(
            server,
            target,
            "POST",
            f"/v1/profiles/{target.profile_id}/followers/{follower.profile_id}/accept",
        )


def synced(page: Page, account_id: str) -> None:
    """The app finished a sync of this user's local database."""
    page.wait_for_function(
        "id => localStorage.getItem('bca.synced.' + id) !== null", arg=account_id, timeout=LIVE
    )


def test_offline_start_shows_the_local_copy(
    new_phone: NewPhone, app_server: AppServer, lang: str, console_errors: ConsoleErrors
) -> None:
    # The browser itself reports each request it could not send while offline.
    console_errors.allow(r"ERR_INTERNET_DISCONNECTED")
    alice = make_account(app_server, "alice", name="Alice")
    bob = make_account(app_server, "bob", name="Bob")
    follow(app_server, alice, bob)
    follow(app_server, bob, alice)
    card = call(
        app_server, bob, "POST", f"/v1/profiles/{bob.profile_id}/cards", json={"name": "Bob Work"}
    )
    share = call(app_server, bob, "POST", f"/v1/cards/{card['id']}/share")
    call(
        app_server,
        alice,
        "PUT",
        f"/v1/profiles/{alice.profile_id}/subscriptions/{card['id']}",
        params={"share_token": share["token"]},
    )
    call(
        app_server,
        alice,
        "POST",
        f"/v1/profiles/{alice.profile_id}/contacts",
        json={"name": "Carol Paper", "organization": "Print Shop"},
    )
    chat = call(
        app_server,
        alice,
        "POST",
        "/v1/chats",
        json={"profile_id": alice.profile_id, "participant_ids": [bob.profile_id]},
    )
    for n in range(3):
        call(app_server, bob, "POST", f"/v1/chats/{chat['id']}/messages", json={"body": f"Hi {n}"})

    page = new_phone()
    sign_in(page, alice)
    me = page.evaluate("JSON.parse(localStorage.getItem('bca.user') || 'null')")
    user_id = me["id"] if me else call(app_server, alice, "GET", "/v1/users/me")["id"]
    page.locator("text=Bob Work").first.wait_for(timeout=LIVE)
    synced(page, user_id)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=LIVE)
    # Visit what should be there offline (the chat's last page is kept when opened).
    page.goto("/app/contacts")
    page.locator("text=Carol Paper").first.wait_for(timeout=LIVE)
    page.goto(f"/app/chats/{chat['id']}")
    page.locator(".msg-text", has_text="Hi 2").wait_for(timeout=LIVE)
    page.goto("/app/chats")
    page.locator(f"a[href='/app/chats/{chat['id']}']").wait_for(timeout=LIVE)

    page.context.set_offline(True)
    page.goto("/app/wallet")
    banner = page.locator(".offline-bar")
    banner.wait_for(timeout=LIVE)
    assert BANNER[lang] in banner.inner_text()
    page.locator("text=Bob Work").first.wait_for(timeout=LIVE)
    check(page, "offline-wallet")
    page.goto("/app/contacts")
    page.locator("text=Carol Paper").first.wait_for(timeout=LIVE)
    check(page, "offline-contacts")
    page.goto("/app/chats")
    page.locator(f"a[href='/app/chats/{chat['id']}']").wait_for(timeout=LIVE)
    check(page, "offline-chats")
    page.goto(f"/app/chats/{chat['id']}")
    for n in range(3):
        page.locator(".msg-text", has_text=f"Hi {n}").wait_for(timeout=LIVE)
    check(page, "offline-chat")

    # Bob edits his card while Alice is away; back online, her wallet shows it.
    edited = httpx.patch(
        f"{app_server.url}/v1/cards/{card['id']}",
        json={"name": "Bob Renamed"},
        headers=bob.headers | {"If-Match": f'"{card["version"]}"'},
        timeout=30,
    )
    assert edited.status_code == 200, edited.text
    page.goto("/app/wallet")
    page.locator("text=Bob Work").first.wait_for(timeout=LIVE)
    page.context.set_offline(False)
    page.locator("text=Bob Renamed").first.wait_for(timeout=LIVE)
    banner.wait_for(state="detached", timeout=LIVE)
    assert re.search(r"/app/wallet", page.url)
