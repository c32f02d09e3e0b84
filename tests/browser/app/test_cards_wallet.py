"""Cards, sharing and the wallet in the app (issue 20, items 3-5), two phones on a real server.

- The QR path: one person's card QR, as the app shows it, captured to an image and fed to the
  other phone's scanner as a still photo ("scan from photo": the same decoder the camera
  uses), lands the card in the other person's wallet.
- A share link opened by another person (`/app/c/{token}`) adds the card.
- The owner's edit appears in the holder's open wallet without a reload (the server's
  `{"type":"sync"}` hint on the WebSocket), marked "updated" until opened; an edit over a stale
  version shows both versions (412) and keeps the saved one when asked.
Screenshots of each screen in Korean and English (test-artifacts/screens/<lang>/).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    LIVE,
    AppServer,
    ConsoleErrors,
    call,
    check,
    make_account,
    shot,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import FilePayload

pytestmark = pytest.mark.timeout(300)


# The strings the test looks for, as the app says them (src/i18n/messages/{cards,wallet}.ts).
TEXT = {
    "en": {
        "new": "New card",
        "card_name": "Card name",
        "family": "Family name",
        "given": "Given name",
        "title": "Title",
        "company": "Company",
        "phone": "Phone 1",
        "email": "Email 1",
        "save": "Save",
        "from_photo": "Scan from a photo",
        "add": "Add to my wallet",
        "updated": "Updated",
        "keep_theirs": "Keep the saved version",
    },
    "ko": {
        "new": "새 명함",
        "card_name": "명함 이름",
        "family": "성",
        "given": "이름",
        "title": "직함",
        "company": "회사",
        "phone": "전화 1",
        "email": "이메일 1",
        "save": "저장",
        "from_photo": "사진에서 스캔",
        "add": "내 명함첩에 추가",
        "updated": "업데이트",
        "keep_theirs": "저장된 내용 남기기",
    },
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_card_made_in_the_app_reaches_another_wallet_through_its_qr_code(
    app_server: AppServer, new_phone: NewPhone, lang: str
) -> None:
    from playwright.sync_api import expect

    text = TEXT[lang]
    owner, holder = make_account(app_server, "owner"), make_account(app_server, "holder")
    mine = new_phone()
    sign_in(mine, owner)
    mine.goto("/app/cards")
    mine.get_by_text(text["new"]).first.wait_for()
    check(mine, "cards-empty")

    # Make a card; the preview follows the typing.
    mine.get_by_role("link", name=text["new"]).first.click()
    mine.wait_for_url(re.compile(r"/app/cards/new"))
    family, given = ("김", "민준") if lang == "ko" else ("Kim", "Minjun")
    mine.get_by_label(text["card_name"], exact=True).fill("Work")
    mine.get_by_label(text["family"], exact=False).first.fill(family)
    mine.get_by_label(re.compile(rf"^{text['given']}( |$)")).fill(given)
    shown = "김민준" if lang == "ko" else "Minjun Kim"
    assert mine.locator(".bcard-name").inner_text() == shown
    mine.get_by_label(re.compile(rf"^{text['title']}")).first.fill("CTO")
    mine.get_by_label(re.compile(rf"^{text['company']}")).fill("B.Ca Labs")
    mine.get_by_label(text["phone"]).fill("+82 10-1234-5678")
    mine.get_by_label(text["email"]).fill("minjun@example.com")
    assert "B.Ca Labs" in mine.locator(".bcard").inner_text()
    mine.evaluate("window.scrollTo(0, 0)")  # the preview, for the screenshot
    check(mine, "card-edit")
    mine.get_by_role("button", name=text["save"], exact=True).click()

    # Its share screen: the QR code, large.
    mine.wait_for_url(re.compile(r"/app/share/"))
    qr = mine.locator(".qr-image")
    qr.wait_for()
    expect(qr).to_have_js_property("complete", True)
    check(mine, "share")
    picture = qr.screenshot()
    mine.goto("/app/cards")
    mine.get_by_text("Work").first.wait_for()
    check(mine, "cards")

    # The other phone scans it from a photo: the card lands in its wallet.
    theirs = new_phone()
    sign_in(theirs, holder)
    check(theirs, "wallet-empty")
    theirs.goto("/app/wallet/scan")
    theirs.get_by_text(text["from_photo"]).wait_for()
    check(theirs, "wallet-scan")
    photo: FilePayload = {"name": "qr.png", "mimeType": "image/png", "buffer": picture}
    theirs.locator("#scan-photo").set_input_files(files=[photo])
    theirs.wait_for_url(re.compile(r"/app/wallet/add/"), timeout=LIVE)
    theirs.locator(".bcard-name", has_text=shown).wait_for()
    check(theirs, "wallet-add")
    theirs.get_by_role("button", name=text["add"]).click()
    theirs.wait_for_url(re.compile(r"/app/wallet/card/"))
    theirs.locator("a[href^='tel:+821012345678']").wait_for()
    assert theirs.locator("a[href='mailto:minjun@example.com']").count() == 1
    check(theirs, "wallet-card")
    theirs.goto("/app/wallet")
    theirs.get_by_role("link", name=re.compile(shown)).wait_for()
    check(theirs, "wallet")

    held = call(app_server, holder, "GET", f"/v1/profiles/{holder.profile_id}/subscriptions")
    assert [item["card"]["name"] for item in held["items"]] == ["Work"]


def test_a_shared_link_adds_the_card_and_the_owners_edit_shows_live(
    app_server: AppServer, new_phone: NewPhone, console_errors: ConsoleErrors
) -> None:
    from playwright.sync_api import expect

    text = TEXT["en"]
    owner, holder = make_account(app_server, "owner"), make_account(app_server, "holder")
    card = call(
        app_server,
        owner,
        "POST",
        f"/v1/profiles/{owner.profile_id}/cards",
        json={
            "name": "Private card",
            "private": True,
            "data": {"given_name": "Ada", "family_name": "Lovelace", "title": "Engineer"},
        },
    )
    link = call(app_server, owner, "POST", f"/v1/cards/{card['id']}/share")

    # The link, opened in the app by the other person.
    theirs = new_phone()
    sign_in(theirs, holder)
    theirs.goto(f"/app/c/{link['token']}")
    theirs.locator(".bcard-name", has_text="Ada Lovelace").wait_for()
    theirs.wait_for_url(re.compile(r"/app/wallet/add/"))  # the token leaves the history entry
    theirs.get_by_role("button", name=text["add"]).click()
    theirs.wait_for_url(re.compile(r"/app/wallet/card/"))
    theirs.get_by_role("button", name="Back").click()
    theirs.wait_for_url(re.compile(r"/app/wallet$"))
    row = theirs.get_by_role("link", name=re.compile("Ada Lovelace"))
    row.wait_for()
    assert "Engineer" in row.inner_text()
    theirs.evaluate("window.__sameDocument = true")

    # The owner edits it in the app; the holder's open wallet follows without a reload.
    mine = new_phone()
    sign_in(mine, owner)
    mine.goto(f"/app/cards/{card['id']}")
    title = mine.get_by_label(re.compile(r"^Title"))
    title.wait_for()
    title.fill("Chief Engineer")
    mine.get_by_role("button", name="Save", exact=True).click()
    mine.wait_for_url(re.compile(r"/app/cards$"))
    theirs.get_by_text("Chief Engineer").wait_for(timeout=LIVE)
    assert theirs.evaluate("window.__sameDocument") is True
    assert row.locator(".wallet-updated").inner_text() == text["updated"]
    shot(theirs, "wallet-updated")
    row.click()
    theirs.wait_for_url(re.compile(r"/app/wallet/card/"))
    theirs.get_by_role("button", name="Back").click()
    theirs.get_by_text("Chief Engineer").wait_for()
    assert theirs.locator(".wallet-updated").count() == 0  # seen now

    # An edit over a version changed elsewhere: the clear 412 message, then a fresh form.
    mine.goto(f"/app/cards/{card['id']}")
    title = mine.get_by_label(re.compile(r"^Title"))
    title.wait_for()
    current = httpx.get(
        f"{app_server.url}/v1/cards/{card['id']}", headers=owner.headers, timeout=30
    )
    elsewhere = httpx.patch(
        f"{app_server.url}/v1/cards/{card['id']}",
        json={"data": {"given_name": "Ada", "family_name": "Lovelace", "title": "Countess"}},
        headers=owner.headers | {"If-Match": current.headers["etag"]},
        timeout=30,
    )
    assert elsewhere.status_code == 200, elsewhere.text
    console_errors.allow(r"412")
    title.fill("Analyst")
    mine.get_by_role("button", name="Save", exact=True).click()
    # Both versions side by side, nothing overwritten; keeping theirs starts the form again.
    panel = mine.locator(".conflict")
    panel.wait_for()
    title_row = panel.locator("tbody tr", has=mine.locator("th", has_text=text["title"]))
    assert title_row.locator(".conflict-mine").inner_text() == "Analyst"
    assert title_row.locator(".conflict-theirs").inner_text() == "Countess"
    shot(mine, "card-edit-conflict")
    panel.get_by_role("button", name=text["keep_theirs"]).click()
    expect(mine.get_by_label(re.compile(r"^Title"))).to_have_value("Countess")
    expect(mine.locator(".conflict")).to_have_count(0)
