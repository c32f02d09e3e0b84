"""Chat in a Pixel's Chromium against a real ``bca serve``, on both stacks: two phones, one in
Korean and one in English, chat in real time.

- Alice starts a direct chat with Bob from the new-chat screen (they follow each other: set up
  over HTTP); Bob's chat list shows it and its unread count grow without a reload; he opens it
  (his unread count drops: the read marker moved, also on the server).
- Text, a reply (the quote shows on the other phone), an image (a fixed box on the other
  phone), an edit (the new text and the "edited" mark) and a delete, each seen on the other
  phone without a reload; Bob's typing shows on Alice's phone.
- A chat of 130 messages opens at its newest page and scrolls back page by page to the first
  message, every index once and in order.

Every chat screen is checked by axe-core and saved as a screenshot in both languages.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    LIVE,
    AppServer,
    act,
    bubble,
    call,
    check,
    friends,
    new_chat,
    send,
    sign_in,
    small_png,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.timeout(300)


# The strings the test looks for, as the app says them (src/i18n/messages/chat.ts).
TEXT = {
    "en": {
        "start": "Start chat",
        "send": "Send",
        "reply": "Reply",
        "edit": "Edit",
        "save": "Save",
        "delete": "Delete",
        "deleted": "This message was deleted",
        "edited": "edited",
        "typing": "is typing",
        "beginning": "The beginning of the chat",
        "mute": "Mute",
    },
    "ko": {
        "start": "채팅 시작",
        "send": "보내기",
        "reply": "답장",
        "edit": "수정",
        "save": "저장",
        "delete": "삭제",
        "deleted": "삭제된 메시지입니다",
        "edited": "수정됨",
        "typing": "입력 중",
        "beginning": "채팅의 시작",
        "mute": "알림 끄기",
    },
}


def badge(page: Page) -> Locator:
    return page.locator("ul.list .chat-badge")


def test_two_phones_chat_in_real_time(
    new_phone: NewPhone, app_server: AppServer, tmp_path: Any
) -> None:
    alice, bob = friends(app_server)
    ko, en = TEXT["ko"], TEXT["en"]

    a = new_phone("ko")
    b = new_phone("en")
    sign_in(a, alice)
    sign_in(b, bob)
    b.locator("nav.tabbar a[href='/app/chats']").click()
    b.wait_for_url(re.compile(r"/app/chats$"))
    b.locator(".empty-title, .empty").first.wait_for()
    check(b, "chat-list-empty")

    # Alice starts a direct chat from the new-chat screen.
    a.goto("/app/chats/new")
    candidate = a.locator("label.chat-pick", has_text="Bob")
    candidate.wait_for()
    check(a, "chat-new")
    candidate.click()
    a.get_by_role("button", name=ko["start"]).click()
    a.wait_for_url(re.compile(r"/app/chats/[0-9a-f-]{36}$"))
    chat_id = a.url.rsplit("/", 1)[1]
    a.locator("textarea.composer-input").wait_for()
    send(a, "Hello Bob")
    bubble(a, "Hello Bob").locator(".msg-meta time").wait_for()

    # Bob's list shows the chat, its last message and the unread count, without a reload.
    row = b.locator(f"a[href='/app/chats/{chat_id}']")
    row.wait_for(timeout=LIVE)
    b.locator(".chat-last", has_text="Hello Bob").wait_for(timeout=LIVE)
    assert badge(b).inner_text() == "1"
    send(a, "Are you there?")
    b.locator(".chat-last", has_text="Are you there?").wait_for(timeout=LIVE)
    b.wait_for_function(
        "() => document.querySelector('ul.list .chat-badge')?.textContent === '2'", timeout=LIVE
    )
    check(b, "chat-list")
    # Opened afresh, the list shows each last message from its own answer, and the live
    # socket's start reads the chat list once: no read of events per chat.
    event_reads: list[str] = []
    b.on(
        "request",
        lambda request: event_reads.append(request.url) if "/events" in request.url else None,
    )
    frames: list[str] = []
    b.on(
        "websocket",
        lambda socket: socket.on("framereceived", lambda frame: frames.append(str(frame))),
    )
    b.reload()
    b.locator(".chat-last", has_text="Are you there?").wait_for(timeout=LIVE)
    for _ in range(LIVE // 100):
        if any('"ready"' in frame for frame in frames):
            break
        b.wait_for_timeout(100)
    else:
        raise AssertionError("the live socket never became ready")
    send(a, "Still there?")
    b.locator(".chat-last", has_text="Still there?").wait_for(timeout=LIVE)
    assert event_reads == []

    # Bob opens it: both messages, and his read marker moves (on the server too).
    row.click()
    b.wait_for_url(re.compile(rf"/app/chats/{chat_id}$"))
    bubble(b, "Are you there?").wait_for()
    bubble(b, "Hello Bob").wait_for()

    def bob_read() -> int:
        return int(call(app_server, bob, "GET", f"/v1/chats/{chat_id}")["read_index"])

    deadline_checks = 0
    while bob_read() < 2 and deadline_checks < 50:
        b.wait_for_timeout(200)
        deadline_checks += 1
    assert bob_read() >= 2
    assert call(app_server, bob, "GET", f"/v1/chats/{chat_id}")["unread_count"] == 0

    # Bob types: Alice sees it. Then he replies to "Hello Bob".
    b.locator("textarea.composer-input").press_sequentially("Yes", delay=30)
    a.locator(".chat-typing", has_text=ko["typing"]).wait_for(timeout=LIVE)
    b.locator("textarea.composer-input").fill("")
    act(b, "Hello Bob", en["reply"])
    b.locator(".composer-context").wait_for()
    send(b, "Hi Alice, yes")
    reply = bubble(a, "Hi Alice, yes")
    reply.wait_for(timeout=LIVE)
    assert "Hello Bob" in reply.locator(".msg-quote").inner_text()

    # An image, with a preview before it is sent; on Alice's phone in a fixed box.
    photo = tmp_path / "photo.png"
    photo.write_bytes(small_png())
    b.locator(".composer input[type=file]").set_input_files(str(photo))
    b.locator(".composer-thumb img").wait_for()
    check(b, "chat-composer-image")
    b.locator(".composer button[type=submit]").click()
    image = a.locator(".msg-row .msg-image img")
    image.wait_for(timeout=LIVE)
    box = a.locator(".msg-row .msg-image").first.bounding_box()
    assert box is not None
    assert box["width"] == box["height"] == 220
    a.wait_for_function(
        "() => [...document.querySelectorAll('.msg-image img')]"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )

    # Alice edits her first message and deletes her second: Bob sees both.
    act(a, "Hello Bob", ko["edit"])
    a.locator("textarea.composer-input").fill("Hello Bob (edited)")
    a.locator(".composer button[type=submit]").click()
    edited = bubble(b, "Hello Bob (edited)")
    edited.wait_for(timeout=LIVE)
    assert en["edited"] in edited.inner_text()
    # The quote of the reply follows the edit.
    b.locator(".msg-quote", has_text="Hello Bob (edited)").wait_for(timeout=LIVE)
    act(a, "Are you there?", ko["delete"])
    a.locator("dialog.sheet[open] button.btn-danger").click()
    b.locator(".msg-bubble", has_text=en["deleted"]).wait_for(timeout=LIVE)
    assert bubble(b, "Are you there?").count() == 0
    a.locator(".msg-bubble", has_text=ko["deleted"]).wait_for(timeout=LIVE)
    check(a, "chat-room")
    check(b, "chat-room")

    # Alice's list: Bob's messages were read in the open room, so no unread count.
    a.locator("a.topbar-back, button.topbar-back").first.click()
    a.wait_for_url(re.compile(r"/app/chats$"))
    a.locator(f"a[href='/app/chats/{chat_id}']").wait_for()
    assert badge(a).count() == 0
    check(a, "chat-list")

    # Chat info: participants and mute.
    b.goto(f"/app/chats/{chat_id}/info")
    b.get_by_role("switch", name=en["mute"]).wait_for()
    check(b, "chat-info")
    b.get_by_role("switch", name=en["mute"]).click()
    b.wait_for_function("() => document.querySelector('[role=switch]')?.checked === true")
    for _ in range(50):
        if call(app_server, bob, "GET", f"/v1/chats/{chat_id}")["muted"]:
            break
        b.wait_for_timeout(100)
    assert call(app_server, bob, "GET", f"/v1/chats/{chat_id}")["muted"] is True
    a.goto(f"/app/chats/{chat_id}/info")
    a.get_by_role("switch", name=ko["mute"]).wait_for()
    check(a, "chat-info")
    b.goto("/app/chats/new")
    b.locator("label.chat-pick").first.wait_for()
    check(b, "chat-new")


def test_history_scrolls_back_page_by_page(new_phone: NewPhone, app_server: AppServer) -> None:
    alice, bob = friends(app_server)
    chat = new_chat(app_server, alice, bob, "History")
    total = 130
    for n in range(1, total + 1):
        poster = alice if n % 3 else bob
        path = f"/v1/chats/{chat['id']}/messages"
        call(app_server, poster, "POST", path, json={"body": f"history {n}"})

    page = new_phone("en")
    sign_in(page, alice)
    page.goto(f"/app/chats/{chat['id']}")
    bubble(page, f"history {total}").wait_for()
    first = page.locator(".msg-row[data-index]").first
    assert int(first.get_attribute("data-index") or 0) > 2, "opens at the newest page"
    # Scroll to the top until the beginning of the chat shows.
    for _ in range(20):
        if page.locator(".chat-start", has_text=TEXT["en"]["beginning"]).count():
            break
        page.locator(".chat-scroller").evaluate("(el) => { el.scrollTop = -el.scrollHeight; }")
        page.wait_for_timeout(300)
    page.locator(".chat-start", has_text=TEXT["en"]["beginning"]).wait_for()
    indices = [
        int(x)
        for x in page.locator(".msg-row[data-index]").evaluate_all(
            "(rows) => rows.map((r) => r.dataset.index)"
        )
    ]
    # The chat's first event is Bob joining (index 1); messages follow in order, once each.
    assert indices == sorted(set(indices))
    assert indices == list(range(indices[0], indices[0] + len(indices)))
    assert bubble(page, re.compile(r"^history 1$")).count() == 1
    assert bubble(page, re.compile(rf"^history {total}$")).count() == 1
