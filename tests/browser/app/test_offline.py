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
import time
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import expect as playwright_expect

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    LIVE,
    Account,
    AppServer,
    ConsoleErrors,
    act,
    bubble,
    call,
    check,
    friends,
    make_account,
    new_chat,
    send,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = pytest.mark.timeout(300)

BANNER = {"en": "Offline — last synced", "ko": "오프라인 — 마지막 동기화"}


def wait_true(page: Page, script: str, arg: object = None) -> None:
    """Polls ``script`` (a function) until it is true (wait_for_function would need eval, which
    the app's CSP refuses)."""
    deadline = time.monotonic() + LIVE / 1000
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, script
        time.sleep(0.2)


def synced(page: Page, account_id: str) -> None:
    """The app finished a sync of this user's local database."""
    wait_true(page, "id => localStorage.getItem('bca.synced.' + id) !== null", account_id)


def controlled(page: Page) -> None:
    """The service worker controls the page (offline reloads come from its cache)."""
    wait_true(page, "() => navigator.serviceWorker.controller !== null")


def kept(page: Page) -> None:
    """The answers the page showed are kept in the local database: the app writes them a moment
    after showing them, under the Web Lock ``bca-keeping`` (a reload at once would stop it)."""
    wait_true(
        page,
        """async () => {
            const { held = [], pending = [] } = await navigator.locks.query();
            return ![...held, ...pending].some((lock) => lock.name === 'bca-keeping');
        }""",
    )


def test_offline_start_shows_the_local_copy(
    new_phone: NewPhone, app_server: AppServer, lang: str, console_errors: ConsoleErrors
) -> None:
    # The browser itself reports each request it could not send while offline.
    console_errors.allow(r"ERR_INTERNET_DISCONNECTED")
    alice, bob = friends(app_server)
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
    chat = new_chat(app_server, alice, bob)
    for n in range(3):
        call(app_server, bob, "POST", f"/v1/chats/{chat['id']}/messages", json={"body": f"Hi {n}"})

    page = new_phone()
    sign_in(page, alice)
    me = page.evaluate("JSON.parse(localStorage.getItem('bca.user') || 'null')")
    user_id = me["id"] if me else call(app_server, alice, "GET", "/v1/me")["id"]
    page.locator("text=Bob Work").first.wait_for(timeout=LIVE)
    synced(page, user_id)
    controlled(page)
    # Visit what should be there offline (the chat's last page is kept when opened).
    page.goto("/app/contacts")
    page.locator("text=Carol Paper").first.wait_for(timeout=LIVE)
    page.goto(f"/app/chats/{chat['id']}")
    page.locator(".msg-text", has_text="Hi 2").wait_for(timeout=LIVE)
    kept(page)
    page.goto("/app/chats")
    page.locator(f"a[href='/app/chats/{chat['id']}']").wait_for(timeout=LIVE)
    kept(page)

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


def messages_of(server: AppServer, account: Account, chat_id: str) -> list[str]:
    page = call(server, account, "GET", f"/v1/chats/{chat_id}/events", params={"limit": 100})
    return [e["body"] for e in page["events"] if e.get("type") == "message" and e.get("body")]


def test_offline_messages_are_sent_once_in_order(
    new_phone: NewPhone, app_server: AppServer, console_errors: ConsoleErrors
) -> None:
    console_errors.allow(r"ERR_INTERNET_DISCONNECTED|ERR_FAILED")
    alice, bob = friends(app_server)
    chat = new_chat(app_server, alice, bob)
    page = new_phone()
    sign_in(page, alice)
    controlled(page)
    page.goto(f"/app/chats/{chat['id']}")
    composer = page.locator("textarea.composer-input")
    composer.wait_for()

    page.context.set_offline(True)
    page.locator(".offline-bar").wait_for(timeout=LIVE)
    for n in range(3):
        composer.fill(f"offline {n}")
        page.locator(".composer button[type=submit]").click()
        page.locator(".msg-text", has_text=f"offline {n}").wait_for(timeout=LIVE)
    check(page, "offline-pending")
    assert messages_of(app_server, bob, chat["id"]) == []
    page.context.set_offline(False)
    page.locator(".msg-row .msg-meta time").nth(2).wait_for(timeout=LIVE)
    expect = [f"offline {n}" for n in range(3)]
    deadline = time.monotonic() + 15
    while messages_of(app_server, bob, chat["id"]) != expect and time.monotonic() < deadline:
        time.sleep(0.3)
    assert messages_of(app_server, bob, chat["id"]) == expect

    # A send whose answer is lost after the server stored it: retried with its key, stored once.
    dropped: list[str] = []

    def lose_answer(route: Route) -> None:
        if route.request.method == "POST" and not dropped:
            route.fetch()  # the server receives and stores it ...
            dropped.append(route.request.headers.get("idempotency-key", ""))
            route.abort()  # ... and the phone never hears back
        else:
            route.continue_()

    page.context.route(re.compile(r".*/v1/chats/[0-9a-f-]+/messages$"), lose_answer)
    composer.fill("answer lost")
    page.locator(".composer button[type=submit]").click()
    deadline = time.monotonic() + LIVE / 1000
    while messages_of(app_server, bob, chat["id"]) != [*expect, "answer lost"] or not dropped:
        assert time.monotonic() < deadline, (dropped, messages_of(app_server, bob, chat["id"]))
        page.wait_for_timeout(200)  # (the route's handler runs while Playwright is called)
    assert dropped[0]
    bubble(page, "answer lost").locator("time").wait_for(timeout=LIVE)
    page.wait_for_timeout(1000)  # a second send, if there were one, would have landed by now
    assert messages_of(app_server, bob, chat["id"]) == [*expect, "answer lost"]

    # A read marker whose request fails waits in the outbox and is sent again.
    failed_reads: list[str] = []

    def fail_once(route: Route) -> None:
        if not failed_reads:
            failed_reads.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.context.route(re.compile(r".*/v1/chats/[0-9a-f-]+/read$"), fail_once)
    page.goto("/app/chats")
    last = call(app_server, bob, "POST", f"/v1/chats/{chat['id']}/messages", json={"body": "seen?"})
    page.locator(".chat-last", has_text="seen?").wait_for(timeout=LIVE)
    page.locator(f"a[href='/app/chats/{chat['id']}']").click()
    page.locator(".msg-text", has_text="seen?").wait_for(timeout=LIVE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if call(app_server, alice, "GET", f"/v1/chats/{chat['id']}")["read_index"] == last["index"]:
            break
        page.wait_for_timeout(300)  # (the route's handler runs while Playwright is called)
    assert failed_reads
    assert call(app_server, alice, "GET", f"/v1/chats/{chat['id']}")["read_index"] == last["index"]

    # Offline, she edits one message and deletes another: both show at once, as waiting.
    page.context.set_offline(True)
    page.locator(".offline-bar").wait_for(timeout=LIVE)
    act(page, "offline 0", "Edit")
    send(page, "offline 0, fixed")
    bubble(page, "offline 0, fixed").locator(".msg-waiting").wait_for(timeout=LIVE)
    act(page, "offline 1", "Delete")
    page.locator("dialog.sheet[open] button.btn-danger").click()
    page.locator(".msg-bubble.msg-deleted .msg-waiting").wait_for(timeout=LIVE)
    check(page, "offline-changes-waiting")
    assert messages_of(app_server, bob, chat["id"])[:2] == ["offline 0", "offline 1"]
    # Back online they are sent once each, and stop waiting.
    page.context.set_offline(False)
    playwright_expect(page.locator(".msg-waiting")).to_have_count(0, timeout=LIVE)
    events = call(app_server, bob, "GET", f"/v1/chats/{chat['id']}/events", params={"limit": 100})
    kinds = [event["type"] for event in events["events"]]
    assert (kinds.count("message_edited"), kinds.count("message_deleted")) == (1, 1)
    assert messages_of(app_server, bob, chat["id"]) == [
        "offline 0, fixed",
        "offline 2",
        "answer lost",
        "seen?",
    ]


def test_an_offline_contact_edit_that_conflicts_shows_both_versions_and_a_card_edit_goes_on(
    new_phone: NewPhone, app_server: AppServer, console_errors: ConsoleErrors
) -> None:
    console_errors.allow(r"ERR_INTERNET_DISCONNECTED")
    # The browser reports the refused edit itself (the conflict it stands for is the subject).
    console_errors.allow(r"status of 412")
    alice = make_account(app_server, "alice", name="Alice")
    contact = call(
        app_server,
        alice,
        "POST",
        f"/v1/profiles/{alice.profile_id}/contacts",
        json={"name": "Carol Paper", "organization": "Print Shop"},
    )
    url = f"{app_server.url}/v1/profiles/{alice.profile_id}/contacts/{contact['id']}"
    desk = call(
        app_server, alice, "POST", f"/v1/profiles/{alice.profile_id}/cards", json={"name": "Desk"}
    )
    card_url = f"{app_server.url}/v1/cards/{desk['id']}"
    page = new_phone()
    sign_in(page, alice)
    synced(page, call(app_server, alice, "GET", "/v1/me")["id"])
    controlled(page)

    # Offline, Alice renames Carol: the edit waits in the outbox and shows at once.
    page.context.set_offline(True)
    page.goto(f"/app/contacts/{contact['id']}/edit")
    page.get_by_label("Name").fill("Carol Print")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/app/contacts/{contact['id']}$"))
    page.locator(".contact-name", has_text="Carol Print").wait_for(timeout=LIVE)
    assert httpx.get(url, headers=alice.headers).json()["name"] == "Carol Paper"
    # She renames one of her cards too (read from the local copy): it waits behind the contact.
    page.goto(f"/app/cards/{desk['id']}")
    page.get_by_label("Card name").fill("Field")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/app/cards$"))
    page.get_by_text("Field", exact=True).first.wait_for(timeout=LIVE)
    assert httpx.get(card_url, headers=alice.headers).json()["name"] == "Desk"
    page.goto(f"/app/contacts/{contact['id']}")

    # Meanwhile another of her devices renames Carol otherwise.
    elsewhere = httpx.patch(
        url,
        json={"name": "Carol Web"},
        headers=alice.headers | {"If-Match": f'"{contact["version"]}"'},
        timeout=30,
    )
    assert elsewhere.status_code == 200, elsewhere.text

    # Back online, the edit is refused (412) and both versions are shown, nothing overwritten.
    page.context.set_offline(False)
    panel = page.locator(".conflict")
    panel.wait_for(timeout=LIVE)
    assert panel.locator(".conflict-mine").all_inner_texts() == ["Carol Print"]
    assert panel.locator(".conflict-theirs").all_inner_texts() == ["Carol Web"]
    assert httpx.get(url, headers=alice.headers).json()["name"] == "Carol Web"
    check(page, "offline-contact-conflict")
    # The conflict did not hold up the card's edit behind it.
    deadline = time.monotonic() + LIVE / 1000
    while httpx.get(card_url, headers=alice.headers).json()["name"] != "Field":
        assert time.monotonic() < deadline, "the card's offline edit was not sent"
        page.wait_for_timeout(200)

    # She keeps hers: saved over the version she was shown.
    panel.get_by_role("button", name="Keep my edit").click()
    panel.wait_for(state="detached", timeout=LIVE)
    page.locator(".contact-name", has_text="Carol Print").wait_for(timeout=LIVE)
    assert httpx.get(url, headers=alice.headers).json()["name"] == "Carol Print"
