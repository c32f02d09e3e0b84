"""Verified emails on cards in the app (issue 26, part 1): the owner sends a code from the
card editor, types the mailed code, and the badge shows on the card there and in another
person's wallet. Screenshots in Korean and English (test-artifacts/screens/<lang>/)."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import LIVE, AppServer, call, check, make_account, sign_in

pytestmark = pytest.mark.timeout(300)

TEXT = {
    "en": {
        "send": "Send a code",
        "code": "Six-digit code",
        "verify": "Verify",
        "work": "✓ verified work email",
        "free": "Send a code",
    },
    "ko": {
        "send": "인증 코드 보내기",
        "code": "6자리 코드",
        "verify": "인증",
        "work": "✓ 인증된 회사 이메일",
        "free": "인증 코드 보내기",
    },
}


def _mailed_code(server: AppServer, address: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while True:
        for message in reversed(server.mails(address)):
            body = message.get_body(("plain",))
            assert body is not None
            found = re.search(r"code is (\d{6})", str(body.get_content()))
            if found:
                return found.group(1)
        assert time.monotonic() < deadline, f"no code mailed to {address}"
        time.sleep(0.05)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_owner_verifies_an_address_and_the_badge_reaches_a_wallet(
    app_server: AppServer, new_phone: NewPhone, lang: str
) -> None:
    text = TEXT[lang]
    owner, holder = make_account(app_server, "owner"), make_account(app_server, "holder")
    address = f"{owner.username}@engines.example"
    card = call(
        app_server,
        owner,
        "POST",
        f"/v1/profiles/{owner.profile_id}/cards",
        json={
            "name": "Work",
            "data": {
                "given_name": "Ada",
                "family_name": "Lovelace",
                "organization": "Analytical Engines",
                "emails": [
                    {"value": address, "type": "work"},
                    {"value": f"{owner.username}@gmail.com", "type": "home"},
                ],
            },
        },
    )
    call(app_server, holder, "PUT", f"/v1/profiles/{holder.profile_id}/subscriptions/{card['id']}")

    mine = new_phone(lang)
    sign_in(mine, owner)
    mine.goto(f"/app/cards/{card['id']}")
    section = mine.locator("#verify-emails")
    section.wait_for()
    row = section.locator(".verify-row", has_text=address)
    row.get_by_role("button", name=text["send"]).click()
    row.get_by_label(text["code"]).wait_for()
    check(mine, "card-verify-code")
    row.get_by_label(text["code"]).fill(_mailed_code(app_server, address))
    row.get_by_role("button", name=text["verify"], exact=True).click()

    # The editor starts afresh from the verified card: the badge beside the address, in the
    # preview and in the list; the gmail address stays unverified.
    mine.locator("#verify-emails .verify-row", has_text=address).locator(
        ".verified-badge"
    ).wait_for(timeout=LIVE)
    assert mine.locator(".bcard .verified-badge").inner_text() == text["work"]
    other = mine.locator("#verify-emails .verify-row", has_text="@gmail.com")
    assert other.locator(".verified-badge").count() == 0
    mine.locator("#verify-emails").scroll_into_view_if_needed()
    check(mine, "card-verified")

    saved = call(app_server, owner, "GET", f"/v1/cards/{card['id']}")
    assert [(entry["email"], entry["work"]) for entry in saved["verified"]] == [(address, True)]
    assert len(app_server.mails(address)) == 1

    # The holder's wallet shows it (through sync).
    theirs = new_phone(lang)
    sign_in(theirs, holder)
    theirs.goto(f"/app/wallet/card/{card['id']}")
    badge = theirs.locator(".bcard .verified-badge")
    badge.wait_for(timeout=LIVE)
    assert badge.inner_text() == text["work"]
    check(theirs, "wallet-card-verified")
