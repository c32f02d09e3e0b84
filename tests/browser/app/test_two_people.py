"""Issue 20's central scenario, end to end through the app only: two people, two phones.

Ada (a phone in English) and Hana (a phone in Korean), on a real ``bca serve`` on both stacks:

- both sign up in the app and confirm their address through the mailed link (the server's
  page, then "Open the B.Ca app" at sign-in), then sign in;
- Ada makes a card (the live preview follows her typing) and shares it: the share screen's
  link, copied by "Share the link" (no Web Share API in headless Chromium: the copy fallback);
- Hana opens the link (the public card page, then "Add to my B.Ca wallet" into the app), adds
  the card to her wallet, goes from the card to Ada's profile and follows her;
- they chat in real time: text, an image, a reply, an edit, a delete, each seen on the other
  phone without a reload; Ada's unread counts (the Chats tab, then the chat's row) go up live
  and drop to zero when she opens the chat (her read marker moved);
- Ada edits her card: Hana's open wallet shows the new version, marked "updated", without a
  reload.

The only shortcut is the mailed link, read from the server's outbox. No console error during
the run; axe-core on every screen visited; a screenshot of each step
(``test-artifacts/screens/<lang>/story-*.png``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    LIVE,
    PASSWORD,
    AppServer,
    ConsoleErrors,
    act,
    bubble,
    check,
    fill_sign_in,
    fresh_name,
    send,
    small_png,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.timeout(420)

# The strings the test looks for, as the app says them (src/i18n/messages/).
TEXT = {
    "en": {
        "new_card": "New card",
        "card_name": "Card name",
        "family": "Family name",
        "given": "Given name",
        "title": "Title",
        "company": "Company",
        "email": "Email 1",
        "save": "Save",
        "share_link": "Share the link",
        "copied": "Link copied",
        "reply": "Reply",
        "edit": "Edit",
        "delete": "Delete",
        "deleted": "This message was deleted",
        "edited": "edited",
        "follow": "Follow",
        "following": "You follow",
    },
    "ko": {
        "add": "내 명함첩에 추가",
        "follow": "팔로우",
        "following": "팔로우 중",
        "message": "메시지 보내기",
        "reply": "답장",
        "edit": "수정",
        "delete": "삭제",
        "deleted": "삭제된 메시지입니다",
        "edited": "수정됨",
        "updated": "업데이트",
    },
}


def step(page: Page, n: int, name: str) -> None:
    """axe-core and a screenshot of this step's screen."""
    check(page, f"story-{n:02d}-{name}")


def sign_up(page: Page, server: AppServer, nickname: str, first: int) -> str:
    """Sign up in the app, confirm through the mailed link, sign in: returns the username."""
    username = fresh_name(nickname.split()[0].lower())
    address = f"{username}@example.com"
    page.locator("a[href='/app/signup']").first.click()
    page.wait_for_url(re.compile(r"/app/signup$"))
    page.locator("input[autocomplete=email]").fill(address)
    page.locator("input[autocomplete=username]").fill(username)
    page.locator("input[autocomplete=nickname]").fill(nickname)
    page.locator("input[autocomplete=new-password]").fill(PASSWORD)
    step(page, first, "sign-up")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/app/check-mail"))
    page.locator("main", has_text=address).wait_for()
    step(page, first + 1, "check-mail")

    # The mailed link: the server's page confirms, then leads into the app at sign-in.
    page.goto(server.mail_link(address))
    if "/app/" not in page.url:
        page.locator("#verify").click()
        page.locator("#open-app").wait_for()
        step(page, first + 2, "verified")
        page.locator("#open-app").click()
    if re.search(r"/app/signin", page.url) or "/app/wallet" not in page.url:
        page.wait_for_url(re.compile(r"/app/signin"))
        page.locator("input[autocomplete=username]").wait_for()
        step(page, first + 3, "sign-in")
        fill_sign_in(page, username)
    page.wait_for_url(re.compile(r"/app/wallet"))
    page.locator("nav.tabbar").wait_for()
    return username


def open_tab(page: Page, tab: str) -> None:
    """Back (the screen's back button) until the tab bar shows, then tap ``tab``."""
    link = page.locator(f"nav.tabbar a[href='/app/{tab}']")
    for _ in range(4):
        if link.count():
            break
        page.locator(".topbar-back").first.click()
        page.wait_for_timeout(300)
    link.click()
    page.wait_for_url(re.compile(rf"/app/{tab}$"))


def tab_badge(page: Page) -> str:
    """The Chats tab's unread count as shown ("" when none)."""
    badge = page.locator("nav.tabbar a[href='/app/chats'] .tab-badge [aria-hidden=true]")
    return badge.inner_text() if badge.count() else ""


def row_badge(page: Page, chat_id: str) -> str:
    """A chat row's unread count as shown ("" when none)."""
    badge = page.locator(f"a[href='/app/chats/{chat_id}'] .chat-badge:not(.chat-badge-muted)")
    return badge.inner_text().strip() if badge.count() else ""


def no_reload_since_marked(page: Page) -> bool:
    return bool(page.evaluate("window.__storyMark === true"))


def test_two_people_meet_share_a_card_follow_and_chat(
    new_phone: NewPhone,
    app_server: AppServer,
    console_errors: ConsoleErrors,
    tmp_path: Any,
) -> None:
    en, ko = TEXT["en"], TEXT["ko"]
    ada = new_phone("en", "/app/welcome")
    hana = new_phone("ko", "/app/welcome")
    ada.context.grant_permissions(["clipboard-read", "clipboard-write"])

    # 1. Both sign up through the mailed link.
    step(ada, 1, "welcome")
    sign_up(ada, app_server, "Ada Park", 2)
    step(hana, 1, "welcome")
    sign_up(hana, app_server, "Hana Kim", 2)
    step(ada, 6, "wallet-empty")
    step(hana, 6, "wallet-empty")

    # 2. Ada makes a card; the preview follows her typing.
    ada.locator("a[href='/app/cards']").first.click()
    ada.wait_for_url(re.compile(r"/app/cards$"))
    ada.get_by_role("link", name=en["new_card"]).first.click()
    ada.wait_for_url(re.compile(r"/app/cards/new$"))
    ada.get_by_label(en["card_name"], exact=True).fill("Work")
    ada.get_by_label(en["family"]).first.fill("Park")
    ada.get_by_label(re.compile(rf"^{en['given']}( |$)")).fill("Ada")
    preview = ada.locator(".bcard")
    assert ada.locator(".bcard-name").inner_text() == "Ada Park"
    ada.get_by_label(re.compile(rf"^{en['title']}")).first.fill("Engineer")
    ada.get_by_label(re.compile(rf"^{en['company']}")).fill("B.Ca Labs")
    ada.get_by_label(en["email"]).fill("ada@example.com")
    for shown in ("Engineer", "B.Ca Labs", "ada@example.com"):
        assert shown in preview.inner_text()
    step(ada, 7, "card-new")
    ada.get_by_role("button", name=en["save"], exact=True).click()

    # 3. Its share screen: the link, shown and copied ("Share the link": the copy fallback).
    ada.wait_for_url(re.compile(r"/app/share/"))
    shown_link = ada.locator(".share-url-text")
    shown_link.wait_for()
    link = shown_link.inner_text().strip()
    assert re.fullmatch(re.escape(app_server.url) + r"/c/[^/\s]+", link), link
    ada.get_by_role("button", name=en["share_link"]).click()
    ada.get_by_text(en["copied"]).wait_for()
    assert ada.evaluate("navigator.clipboard.readText()") == link
    step(ada, 8, "share")

    # 4. Hana opens the link: the card's page, then the app adds it to her wallet.
    hana.goto(link)
    hana.locator("#name", has_text="Ada Park").wait_for()
    step(hana, 7, "card-page")
    hana.locator("#open-app").click()
    hana.wait_for_url(re.compile(r"/app/(c|wallet/add)/"))
    hana.locator(".bcard-name", has_text="Ada Park").wait_for()
    step(hana, 8, "wallet-add")
    hana.get_by_role("button", name=ko["add"]).click()
    hana.wait_for_url(re.compile(r"/app/wallet/card/"))
    hana.locator("a[href='mailto:ada@example.com']").wait_for()
    step(hana, 9, "wallet-card")

    # 5. From the card to its owner's profile: Hana follows Ada.
    hana.locator("a[href^='/app/people/']").first.click()
    hana.wait_for_url(re.compile(r"/app/people/[0-9a-f-]{36}$"))
    hana.locator(".person-name", has_text="Ada Park").wait_for()
    step(hana, 10, "person")
    hana.get_by_role("button", name=ko["follow"], exact=True).click()
    hana.locator(".person-state .pill", has_text=ko["following"]).wait_for()
    step(hana, 11, "person-followed")

    # Ada sees her new follower and follows her back: a chat from someone she does not follow
    # would reach her as a message request (tests/browser/app/test_requests.py), not a chat.
    ada.goto("/app/people/list/followers")
    ada.locator("a.person-link", has_text="Hana Kim").click()
    ada.wait_for_url(re.compile(r"/app/people/[0-9a-f-]{36}$"))
    ada.get_by_role("button", name=en["follow"], exact=True).click()
    ada.locator(".person-state .pill", has_text=en["following"]).wait_for()

    # 6. Ada waits on her wallet; from Ada's profile, Hana starts a chat and says hello.
    open_tab(ada, "wallet")
    ada.evaluate("window.__storyMark = true")
    hana.get_by_role("link", name=ko["message"]).click()
    hana.wait_for_url(re.compile(r"/app/chats/[0-9a-f-]{36}$"))
    chat_id = hana.url.rsplit("/", 1)[1]
    hana.evaluate("window.__storyMark = true")
    send(hana, "안녕하세요 Ada")
    bubble(hana, "안녕하세요 Ada").locator(".msg-meta time").wait_for(timeout=LIVE)

    # Ada's Chats tab counts it, live.
    ada.wait_for_function(
        "() => document.querySelector(\"nav.tabbar a[href='/app/chats'] .tab-badge\")"
        "?.textContent?.startsWith('1')",
        timeout=LIVE,
    )
    assert tab_badge(ada) == "1"
    step(ada, 9, "wallet-unread")
    open_tab(ada, "chats")
    row = ada.locator(f"a[href='/app/chats/{chat_id}']")
    row.wait_for()
    assert row_badge(ada, chat_id) == "1"
    send(hana, "명함 고마워요")
    ada.locator(".chat-last", has_text="명함 고마워요").wait_for(timeout=LIVE)
    ada.wait_for_function(
        f"() => document.querySelector(\"a[href='/app/chats/{chat_id}'] .chat-badge\")"
        "?.textContent?.trim() === '2'",
        timeout=LIVE,
    )
    assert tab_badge(ada) == "2"
    step(ada, 10, "chats-unread")

    # Ada opens the chat: both messages, her read marker moves, the counts drop to zero.
    row.click()
    ada.wait_for_url(re.compile(rf"/app/chats/{chat_id}$"))
    bubble(ada, "안녕하세요 Ada").wait_for()
    bubble(ada, "명함 고마워요").wait_for()
    step(ada, 11, "chat-room")

    # A reply (the quote shows on Hana's phone).
    act(ada, "안녕하세요 Ada", en["reply"])
    ada.locator(".composer-context").wait_for()
    send(ada, "Hello Hana, welcome")
    reply = bubble(hana, "Hello Hana, welcome")
    reply.wait_for(timeout=LIVE)
    assert "안녕하세요 Ada" in reply.locator(".msg-quote").inner_text()

    # An image, previewed before it goes; on Ada's phone in its fixed box.
    photo = tmp_path / "photo.png"
    photo.write_bytes(small_png())
    hana.locator(".composer input[type=file]").set_input_files(str(photo))
    hana.locator(".composer-thumb img").wait_for()
    step(hana, 13, "chat-image-preview")
    hana.locator(".composer button[type=submit]").click()
    ada.locator(".msg-row .msg-image img").wait_for(timeout=LIVE)
    ada.wait_for_function(
        "() => [...document.querySelectorAll('.msg-image img')]"
        ".some((i) => i.complete && i.naturalWidth > 0)",
        timeout=LIVE,
    )

    # An edit (Ada's reply) and a delete (Hana's second message), each seen on the other phone.
    act(ada, "Hello Hana, welcome", en["edit"])
    ada.locator("textarea.composer-input").fill("Hello Hana, welcome to B.Ca")
    ada.locator(".composer button[type=submit]").click()
    edited = bubble(hana, "Hello Hana, welcome to B.Ca")
    edited.wait_for(timeout=LIVE)
    assert ko["edited"] in edited.inner_text()
    act(hana, "명함 고마워요", ko["delete"])
    hana.locator("dialog.sheet[open] button.btn-danger").click()
    ada.locator(".msg-bubble", has_text=en["deleted"]).wait_for(timeout=LIVE)
    assert bubble(ada, "명함 고마워요").count() == 0
    hana.locator(".msg-bubble", has_text=ko["deleted"]).wait_for(timeout=LIVE)
    step(ada, 12, "chat-room-after")
    step(hana, 14, "chat-room")

    # Back on Ada's list: nothing unread (she read everything in the open room).
    ada.locator("a.topbar-back, button.topbar-back").first.click()
    ada.wait_for_url(re.compile(r"/app/chats$"))
    row.wait_for()
    assert row_badge(ada, chat_id) == ""
    assert tab_badge(ada) == ""
    step(ada, 13, "chats-read")

    # 7. Hana watches her wallet; Ada edits the card: the new version shows there, marked.
    # Back to it through the app: she came in from the card's page, yet the back arrow never
    # leads out of the app (its first screen goes to its fallback), then the Wallet tab.
    assert no_reload_since_marked(hana)  # the whole chat ran in one page
    wallet_tab = hana.locator("nav.tabbar a[href='/app/wallet']")
    for _ in range(6):
        if wallet_tab.count():
            break
        hana.locator(".topbar-back").first.click()
        hana.wait_for_timeout(300)
        assert re.search(r"^[^?#]*/app/", hana.url), hana.url
    wallet_tab.click()
    hana.wait_for_url(re.compile(r"/app/wallet$"))
    held = hana.get_by_role("link", name=re.compile("Ada Park"))
    held.wait_for()
    assert "Engineer" in held.inner_text()
    assert held.locator(".wallet-updated").count() == 0
    step(hana, 15, "wallet")
    assert no_reload_since_marked(ada)
    open_tab(ada, "wallet")
    ada.locator("a[href='/app/cards']").first.click()
    ada.wait_for_url(re.compile(r"/app/cards$"))
    ada.locator("a[href^='/app/cards/']", has_text="Work").first.click()
    title = ada.get_by_label(re.compile(rf"^{en['title']}")).first
    title.wait_for()
    title.fill("Chief Engineer")
    assert "Chief Engineer" in preview.inner_text()
    step(ada, 14, "card-edit")
    ada.get_by_role("button", name=en["save"], exact=True).click()
    ada.wait_for_url(re.compile(r"/app/cards$"))
    step(ada, 15, "cards")
    held.filter(has_text="Chief Engineer").wait_for(timeout=LIVE)
    assert held.locator(".wallet-updated").inner_text() == ko["updated"]
    step(hana, 16, "wallet-updated")

    # Hana's wallet was not reloaded to show the edit.
    assert no_reload_since_marked(hana)
