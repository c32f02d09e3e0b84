"""Reports in the app (issue 26, part 4): a message reported from its actions, a held card
and a person from their screens; "My reports" lists them with their outcome. Screenshots in
Korean and English (test-artifacts/screens/<lang>/)."""

from __future__ import annotations

import re

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
    sign_in,
)

pytestmark = pytest.mark.timeout(300)

TEXT = {
    "en": {
        "report": "Report",
        "harassment": "Harassment",
        "impersonation": "Impersonation",
        "send": "Send the report",
        "waiting": "Message · Waiting for a moderator",
        "card": "Card · Waiting for a moderator",
    },
    "ko": {
        "report": "신고",
        "harassment": "괴롭힘",
        "impersonation": "사칭",
        "send": "신고 보내기",
        "waiting": "메시지 · 운영자 확인 대기 중",
        "card": "명함 · 운영자 확인 대기 중",
    },
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_message_and_a_card_are_reported_from_the_app(
    app_server: AppServer, new_phone: NewPhone, lang: str
) -> None:
    text = TEXT[lang]
    alice, bob = friends(app_server)
    chat = new_chat(app_server, alice, bob)
    call(app_server, bob, "POST", f"/v1/chats/{chat['id']}/messages", json={"body": "go away"})
    card = call(
        app_server,
        bob,
        "POST",
        f"/v1/profiles/{bob.profile_id}/cards",
        json={"name": "Work", "data": {"given_name": "Bob", "organization": "Samsung"}},
    )
    call(app_server, alice, "PUT", f"/v1/profiles/{alice.profile_id}/subscriptions/{card['id']}")

    phone = new_phone(lang)
    sign_in(phone, alice)
    phone.goto(f"/app/chats/{chat['id']}")
    bubble(phone, "go away").first.wait_for(timeout=LIVE)
    act(phone, "go away", text["report"])
    sheet = phone.locator("dialog.sheet[open]")
    sheet.get_by_label(text["harassment"]).check()
    sheet.locator("textarea").fill("rude")
    check(phone, "report-sheet")
    sheet.get_by_role("button", name=text["send"]).click()
    phone.locator("dialog.sheet[open]").wait_for(state="detached")

    phone.goto(f"/app/wallet/card/{card['id']}")
    phone.get_by_role("button", name=text["report"]).click()
    sheet = phone.locator("dialog.sheet[open]")
    sheet.get_by_role("button", name=text["send"]).click()
    phone.locator("dialog.sheet[open]").wait_for(state="detached")

    phone.goto(f"/app/people/{bob.profile_id}")
    phone.get_by_role("button", name=text["report"]).click()
    sheet = phone.locator("dialog.sheet[open]")
    sheet.get_by_label(text["impersonation"]).check()
    sheet.get_by_role("button", name=text["send"]).click()
    phone.locator("dialog.sheet[open]").wait_for(state="detached")

    phone.goto("/app/settings/reports")
    phone.get_by_text(text["waiting"]).wait_for(timeout=LIVE)
    phone.get_by_text(text["card"]).wait_for()
    check(phone, "my-reports")

    reports = call(app_server, alice, "GET", "/v1/reports")["items"]
    assert sorted((r["kind"], r["reason"]) for r in reports) == [
        ("card", "spam"),
        ("message", "harassment"),
        ("profile", "impersonation"),
    ]
    [message] = [r for r in reports if r["kind"] == "message"]
    assert message["message_body"] == "go away"
    assert message["text"] == "rude"
    assert re.fullmatch(r"[0-9a-f-]{36}", message["profile_id"])
