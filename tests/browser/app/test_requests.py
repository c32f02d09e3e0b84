"""Message requests in the app (issue 26, part 3), in a Pixel's Chromium against a real
``bca serve``: a stranger's chat waits under "Message requests" on the chat list (with its
count), the request screen shows who asks and their first message, Accept opens the chat and
moves it into the list; the profile form sets who may send requests. Screenshots in Korean and
English (test-artifacts/screens/<lang>/)."""

from __future__ import annotations

import re

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import LIVE, AppServer, bubble, call, check, make_account, sign_in

pytestmark = pytest.mark.timeout(300)

TEXT = {
    "en": {
        "requests": "Message requests",
        "from": "Alice wants to chat with you",
        "accept": "Accept",
        "nobody": "No one",
        "save": "Save",
    },
    "ko": {
        "requests": "메시지 요청",
        "from": "Alice 님이 채팅을 요청했습니다",
        "accept": "수락",
        "nobody": "아무도 받지 않음",
        "save": "저장",
    },
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_request_is_accepted_and_the_setting_changed(
    app_server: AppServer, new_phone: NewPhone, lang: str
) -> None:
    text = TEXT[lang]
    alice = make_account(app_server, "alice", name="Alice")
    bob = make_account(app_server, "bob", name="Bob")
    chat = call(
        app_server,
        alice,
        "POST",
        "/v1/chats",
        json={"profile_id": alice.profile_id, "participant_ids": [bob.profile_id], "direct": True},
    )
    call(
        app_server,
        alice,
        "POST",
        f"/v1/chats/{chat['id']}/messages",
        json={"body": "Nice to meet you at the fair"},
    )

    phone = new_phone(lang)
    sign_in(phone, bob)
    phone.goto("/app/chats")
    entry = phone.locator(".chat-requests-entry a.row")
    entry.wait_for(timeout=LIVE)
    assert entry.locator(".chat-badge").inner_text() == "1"
    assert phone.locator("ul.list a.row[href^='/app/chats/']").count() == 1  # the entry alone
    check(phone, "chat-requests-entry")
    entry.click()

    phone.wait_for_url(re.compile(r"/app/chats/requests$"))
    row = phone.locator("ul.list a.row", has_text="Nice to meet you at the fair")
    row.wait_for(timeout=LIVE)
    check(phone, "chat-requests")
    row.click()

    phone.wait_for_url(re.compile(rf"/app/chats/requests/{chat['id']}$"))
    phone.get_by_role("heading", name=text["from"]).wait_for(timeout=LIVE)
    phone.locator(".request-bubble", has_text="Nice to meet you at the fair").wait_for()
    check(phone, "chat-request")
    phone.get_by_role("button", name=text["accept"], exact=True).click()

    phone.wait_for_url(re.compile(rf"/app/chats/{chat['id']}$"))
    bubble(phone, "Nice to meet you at the fair").first.wait_for(timeout=LIVE)
    phone.goto("/app/chats")
    phone.locator(f"ul.list a.row[href='/app/chats/{chat['id']}']").wait_for(timeout=LIVE)
    assert phone.locator(".chat-requests-entry").count() == 0
    answered = call(app_server, bob, "GET", f"/v1/chats/{chat['id']}")
    assert answered["request"] is False

    phone.goto(f"/app/me/profiles/{bob.profile_id}")
    choice = phone.get_by_label(text["nobody"])
    choice.wait_for(timeout=LIVE)
    choice.check()
    check(phone, "profile-message-requests")
    phone.get_by_role("button", name=text["save"], exact=True).click()
    phone.wait_for_url(re.compile(r"/app/me$"))
    profile = call(app_server, bob, "GET", f"/v1/profiles/{bob.profile_id}")
    assert profile["message_requests"] == "nobody"
