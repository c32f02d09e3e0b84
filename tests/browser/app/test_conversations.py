"""Conversations in a Pixel's Chromium against a real ``bca serve``, on both stacks (issue 25):
two phones in a group chat, each change seen on the other phone without a reload.

- Bob mentions Alice with the composer's ``@`` picker: Alice's phone shows her name, not the
  token, and her chat list a mention badge.
- Alice reacts from the message's actions; Bob sees the count and adds his own with a tap on it.
- Alice replies; Bob sees "1 replies" under the message and opens the thread.
- Alice (the owner) pins the message: both phones show the pinned bar; Bob opens the list.
- Alice forwards it to her direct chat with Bob: Bob sees it there, "Forwarded from Bob".

The room with all of it is checked by axe-core and saved as a screenshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    LIVE,
    AppServer,
    bubble,
    call,
    check,
    friends,
    new_chat,
    send,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.timeout(300)


def open_chat(page: Page, chat_id: str) -> None:
    page.goto(f"/app/chats/{chat_id}")
    page.locator("textarea.composer-input").wait_for()


def sheet_button(page: Page, label: str) -> None:
    page.locator("dialog.sheet[open] button", has_text=label).first.click()


def test_reactions_mentions_threads_pins_and_forwards(
    new_phone: NewPhone, app_server: AppServer
) -> None:
    alice, bob = friends(app_server)
    group = new_chat(app_server, alice, bob, title="Team")
    direct = call(
        app_server,
        alice,
        "POST",
        "/v1/chats",
        json={
            "profile_id": alice.profile_id,
            "participant_ids": [bob.profile_id],
            "direct": True,
        },
    )
    a = new_phone("en")
    b = new_phone("en")
    sign_in(a, alice)
    sign_in(b, bob)
    open_chat(a, group["id"])
    open_chat(b, group["id"])

    # Bob mentions Alice through the picker; her phone shows her name.
    b.locator("textarea.composer-input").press_sequentially("Lunch? @", delay=20)
    b.locator(".composer-mention", has_text="@Alice").click()
    assert f"<@{alice.profile_id}>" in b.locator("textarea.composer-input").input_value()
    b.locator(".composer button[type=submit]").click()
    message = bubble(a, "Lunch?")
    message.wait_for(timeout=LIVE)
    message.locator(".msg-mention", has_text="@Alice").wait_for()
    assert "<@" not in message.inner_text()
    mention = call(app_server, alice, "GET", "/v1/mentions")["items"]
    assert [item["body"] for item in mention] == [f"Lunch? <@{alice.profile_id}>"]

    # Alice reacts; Bob sees it and adds his own with a tap.
    message.click()
    a.locator("dialog.sheet[open] button[aria-label='React 👍']").click()
    theirs = (b.locator(".msg-row").filter(has=b.locator(".msg-text", has_text="Lunch?"))).locator(
        ".msg-reaction"
    )
    theirs.filter(has_text="👍 1").wait_for(timeout=LIVE)
    assert theirs.first.get_attribute("aria-pressed") == "false"
    theirs.first.click()
    b.locator(".msg-reaction[aria-pressed=true]", has_text="👍 2").wait_for(timeout=LIVE)
    a.locator(".msg-reaction[aria-pressed=true]", has_text="👍 2").wait_for(timeout=LIVE)

    # Alice replies; Bob opens the thread.
    message.click()
    sheet_button(a, "Reply")
    a.locator(".composer-context").wait_for()
    send(a, "Yes, at noon")
    thread_link = b.locator(".msg-thread-link", has_text="1 reply")
    thread_link.wait_for(timeout=LIVE)
    thread_link.click()
    b.locator("dialog.sheet[open] .chat-thread-line", has_text="Yes, at noon").wait_for(
        timeout=LIVE
    )
    b.keyboard.press("Escape")

    # Alice pins it: both phones show the bar; Bob opens the list.
    message.click()
    sheet_button(a, "Pin")
    a.locator(".chat-pins", has_text="Pinned (1)").wait_for(timeout=LIVE)
    b.locator(".chat-pins", has_text="Pinned (1)").wait_for(timeout=LIVE)
    b.locator(".chat-pins").click()
    b.locator("dialog.sheet[open] .chat-pin-line", has_text="Lunch?").wait_for()
    b.keyboard.press("Escape")
    check(b, "chat-room-conversations")

    # Alice forwards it to the direct chat; Bob finds it there with its origin.
    message.click()
    sheet_button(a, "Forward")
    a.locator("dialog.sheet[open] button", has_text="Bob").wait_for()
    check(a, "chat-forward")
    sheet_button(a, "Bob")
    open_chat(b, direct["id"])
    copy = bubble(b, "Lunch?")
    copy.wait_for(timeout=LIVE)
    copy.locator(".msg-forwarded", has_text="Forwarded from Bob").wait_for()
    # The mention shows "@…" until the name is read (in this chat Bob has not seen Alice yet).
    copy.locator(".msg-mention", has_text="@Alice").wait_for()
    assert "<@" not in copy.inner_text()
