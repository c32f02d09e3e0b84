"""Paper cards, contacts and people in a Pixel's Chromium against a real ``bca serve`` on both
stacks, in Korean and in English.

- A card of the generated set (``tests/scans/cardset.py``, Korean, read by Tesseract) goes
  through the camera input: upload, read, review (the proposal shown, corrected), accept; a
  public B.Ca card with the same email address is suggested and subscribed to; the contact is
  listed in the locale's order, found by its Korean name, edited, exported (one and all) and
  deleted after a confirmation.
- One phone asks to follow the private profile of another, which accepts; the follower adds
  a card of the now visible profile to its wallet, then blocks and unblocks it.

Accounts are made over HTTP (sign-up, the mailed link, verification); each phone then signs in
through the app. Every screen of these areas is checked by axe-core and saved as a screenshot
(`test-artifacts/screens/<lang>/flow-*.png`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    AppServer,
    ConsoleErrors,
    call,
    check,
    make_account,
    sign_in,
)
from tests.scans.cardset import Truth, generate

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.timeout(300)


# The few strings the tests look for, as the app says them (src/i18n/messages/).
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "accept_scan": "Add to contacts",
        "add": "Add",
        "in_wallet": "In wallet",
        "edit": "Edit",
        "save": "Save",
        "delete": "Delete",
        "save_vcard": "Save as vCard",
        "export_all": "Export all as vCard",
        "ask_follow": "Ask to follow",
        "request_sent": "Request sent",
        "accept": "Accept",
        "follows_you": "Follows you",
        "you_follow": "You follow",
        "block": "Block",
        "blocked": "Blocked",
        "unblock": "Unblock",
        "organization": "Organisation",
        "name": "Name",
    },
    "ko": {
        "accept_scan": "연락처에 추가",
        "add": "추가",
        "in_wallet": "명함첩에 있음",
        "edit": "편집",
        "save": "저장",
        "delete": "삭제",
        "save_vcard": "vCard로 저장",
        "export_all": "전체를 vCard로 내보내기",
        "ask_follow": "팔로우 요청",
        "request_sent": "요청 보냄",
        "accept": "수락",
        "follows_you": "나를 팔로우",
        "you_follow": "팔로우 중",
        "block": "차단",
        "blocked": "차단됨",
        "unblock": "차단 해제",
        "organization": "회사",
        "name": "이름",
    },
}


def korean_card() -> tuple[bytes, Truth]:
    """The generated set's clean Korean card (left-aligned, straight, PNG)."""
    for card in generate(6):
        if card.index == 5:
            return card.image, card.truth
    raise AssertionError("the set has a sixth card")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_paper_card_goes_through_scan_review_accept_into_contacts(
    new_phone: NewPhone, app_server: AppServer, lang: str, tmp_path: Any
) -> None:
    text = TEXT[lang]
    image, truth = korean_card()
    alice = make_account(app_server, "alice")
    owner = make_account(app_server, "owner")
    public_card = call(
        app_server,
        owner,
        "POST",
        f"/v1/profiles/{owner.profile_id}/cards",
        json={
            "name": f"Card of {owner.username}",
            "data": {"emails": [{"value": truth.emails[0]}]},
        },
    )
    for name in ("하지민", "가나다", "Zoe Park"):
        call(
            app_server,
            alice,
            "POST",
            f"/v1/profiles/{alice.profile_id}/contacts",
            json={"name": name},
        )

    page = new_phone()
    sign_in(page, alice)
    page.locator("nav.tabbar a[href='/app/contacts']").click()
    page.wait_for_url(re.compile(r"/app/contacts$"))
    rows = page.locator(".contact-list a.row .row-title")
    rows.first.wait_for()
    # Korean's collation puts Hangul before Latin, in 가나다 order; English's, Latin first.
    expected = (
        ["가나다", "하지민", "Zoe Park"] if lang == "ko" else ["Zoe Park", "가나다", "하지민"]
    )
    assert rows.all_inner_texts() == expected
    check(page, "contacts")

    # Scan: the camera input takes the photo; the upload shows progress, then the read.
    page.locator("a[href='/app/scans/new']").first.click()
    page.wait_for_url(re.compile(r"/app/scans/new$"))
    camera = page.locator("input[type=file][capture=environment]")
    assert camera.get_attribute("accept") == "image/*"
    check(page, "scan-new")
    photo = tmp_path / "card.png"
    photo.write_bytes(image)
    expect(camera).to_be_enabled()
    camera.set_input_files(str(photo))
    page.wait_for_url(re.compile(r"/app/scans/[0-9a-f-]{36}$"))
    name_field = page.get_by_label(text["name"], exact=True)
    name_field.wait_for(timeout=90_000)
    assert name_field.input_value() == truth.name, "the proposal shows the name read"
    phones = page.locator("input[type=tel]")
    assert [phones.nth(i).input_value() for i in range(len(truth.phones))] == truth.phones

    # The public card with the same address is suggested; adding it puts it in the wallet.
    suggestion = page.locator(".list .row", has_text=public_card["name"])
    suggestion.wait_for()
    check(page, "scan-review")
    suggestion.get_by_role("button", name=re.compile(public_card["name"])).click()
    suggestion.get_by_text(text["in_wallet"]).wait_for()
    wallet = call(app_server, alice, "GET", f"/v1/profiles/{alice.profile_id}/subscriptions")
    assert [entry["card"]["id"] for entry in wallet["items"]] == [public_card["id"]]

    # Correct a field, accept: the contact opens.
    page.get_by_label(text["organization"], exact=True).fill("한빛 주식회사")
    page.get_by_role("button", name=text["accept_scan"]).click()
    page.wait_for_url(re.compile(r"/app/contacts/[0-9a-f-]{36}$"))
    page.locator(".contact-name", has_text=truth.name).wait_for()
    page.get_by_text("한빛 주식회사").wait_for()
    check(page, "contact")
    contact_id = page.url.rsplit("/", 1)[1]
    stored = call(
        app_server, alice, "GET", f"/v1/profiles/{alice.profile_id}/contacts/{contact_id}"
    )
    assert stored["organization"] == "한빛 주식회사"
    assert [phone["value"] for phone in stored["phones"]] == truth.phones
    assert stored["image_url"], "the scan's photo is the contact's picture"

    # One vCard.
    with page.expect_download() as download:
        page.get_by_role("button", name=text["save_vcard"]).click()
    card_text = download.value.path().read_text()
    assert card_text.startswith("BEGIN:VCARD")
    assert truth.name in card_text

    # Edit (with the version shown).
    page.get_by_role("link", name=text["edit"]).click()
    page.wait_for_url(re.compile(r"/edit$"))
    check(page, "contact-edit")
    page.get_by_label(text["organization"], exact=True).fill("한빛소프트")
    page.get_by_role("button", name=text["save"], exact=True).click()
    page.wait_for_url(re.compile(r"/app/contacts/[0-9a-f-]{36}$"))
    page.get_by_text("한빛소프트").wait_for()
    stored = call(
        app_server, alice, "GET", f"/v1/profiles/{alice.profile_id}/contacts/{contact_id}"
    )
    assert (stored["organization"], stored["version"]) == ("한빛소프트", 2)

    # The list has it; searching a part of the Korean name finds it (and only it).
    page.goto("/app/contacts")
    page.locator(".contact-list a.row .row-title", has_text=truth.name).wait_for()
    page.locator("#contact-search").fill(truth.name[1:])
    page.wait_for_function(
        "() => [...document.querySelectorAll('.contact-list a.row .row-title')]"
        ".map(e => e.textContent)"
        f".join('|') === {truth.name!r}"
    )
    check(page, "contacts-search")
    page.locator("#contact-search").fill("")
    page.locator(".contact-list a.row .row-title", has_text="Zoe Park").wait_for()

    # Everyone in one file.
    with page.expect_download() as download:
        page.get_by_role("button", name=text["export_all"]).click()
    every = download.value.path().read_text()
    assert every.count("BEGIN:VCARD") == 4
    assert all(name in every for name in ("하지민", "가나다", "Zoe Park", truth.name))

    # Delete after a confirmation.
    page.locator(".contact-list a.row", has_text=truth.name).click()
    page.wait_for_url(re.compile(r"/app/contacts/[0-9a-f-]{36}$"))
    page.locator(".stack").get_by_role("button", name=text["delete"]).click()
    sheet = page.locator("dialog.sheet[open]")
    sheet.wait_for()
    check(page, "contact-delete")
    sheet.get_by_role("button", name=text["delete"]).click()
    page.wait_for_url(re.compile(r"/app/contacts$"))
    page.locator(".contact-list a.row .row-title", has_text="Zoe Park").wait_for()
    assert page.locator(".contact-list a.row", has_text=truth.name).count() == 0
    listed = call(app_server, alice, "GET", f"/v1/profiles/{alice.profile_id}/contacts")
    assert sorted(item["name"] for item in listed["items"]) == sorted(
        ["하지민", "가나다", "Zoe Park"]
    )


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_failed_read_shows_the_servers_reason_and_a_retry(
    new_phone: NewPhone, app_server: AppServer, lang: str, tmp_path: Any
) -> None:
    from PIL import Image

    alice = make_account(app_server, "blank")
    page = new_phone()
    sign_in(page, alice)
    page.goto("/app/scans/new")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (1050, 600), "white").save(blank)
    gallery = page.locator("input[type=file]:not([capture])")
    expect(gallery).to_be_enabled()  # once the active profile is known
    gallery.set_input_files(str(blank))
    page.wait_for_url(re.compile(r"/app/scans/[0-9a-f-]{36}$"))
    failure = page.locator(".error-box[role=alert]")
    failure.wait_for(timeout=60_000)
    scan_id = page.url.rsplit("/", 1)[1]
    scan = call(app_server, alice, "GET", f"/v1/scans/{scan_id}")
    assert scan["status"] == "failed"
    assert scan["failure"] in failure.inner_text(), "the server's reason is shown"
    check(page, "scan-failed")
    failure.locator("a[href='/app/scans/new']").click()
    page.wait_for_url(re.compile(r"/app/scans/new$"))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_following_a_private_profile_by_request_then_blocking(
    new_phone: NewPhone, app_server: AppServer, console_errors: ConsoleErrors, lang: str
) -> None:
    text = TEXT[lang]
    ana = make_account(app_server, "ana")
    ben = make_account(app_server, "ben")
    call(
        app_server,
        ben,
        "PATCH",
        f"/v1/profiles/{ben.profile_id}",
        json={"private": True, "team_name": "Ben's team"},
    )
    ben_card = call(
        app_server,
        ben,
        "POST",
        f"/v1/profiles/{ben.profile_id}/cards",
        json={"name": "Ben at work"},
    )

    first = new_phone()
    sign_in(first, ana)
    first.goto("/app/contacts")
    first.locator("a[href='/app/people']").click()
    first.wait_for_url(re.compile(r"/app/people$"))
    check(first, "people")

    # Find Ben by name: his private profile shows as a summary.
    first.locator("#people-search").fill(ben.username)
    result = first.locator(f".search-results a[href='/app/people/{ben.profile_id}']")
    result.wait_for()
    check(first, "people-search")
    result.click()
    first.wait_for_url(re.compile(rf"/app/people/{ben.profile_id}$"))
    first.get_by_role("button", name=text["ask_follow"]).click()
    first.locator(".person-state .pill", has_text=text["request_sent"]).wait_for()
    check(first, "person-private")
    assert (
        call(app_server, ana, "GET", f"/v1/profiles/{ana.profile_id}/relations")["items"][0][
            "status"
        ]
        == "follow_requested"
    )
    first.goto("/app/people/list/requested")
    first.locator(f"a[href='/app/people/{ben.profile_id}']").wait_for()
    check(first, "people-list")

    # Ben sees the request on Contacts' People entry and accepts it.
    second = new_phone()
    sign_in(second, ben)
    second.goto("/app/contacts")
    second.locator("a[href='/app/people'] .pill", has_text="1").wait_for()
    second.locator("a[href='/app/people']").click()
    request = second.locator(
        ".person-row", has=second.locator(f"a[href='/app/people/{ana.profile_id}']")
    )
    request.wait_for()
    check(second, "people-requests")
    request.get_by_role("button", name=text["accept"]).click()
    request.wait_for(state="detached")  # answered: no longer a request
    second.goto("/app/people/list/followers")
    second.locator(f"a[href='/app/people/{ana.profile_id}']").wait_for()
    # A pasted profile link (or id) finds the profile too.
    second.goto("/app/people")
    second.locator("#people-search").fill(f"{app_server.url}/app/people/{ana.profile_id}")
    second.locator(f".search-results a[href='/app/people/{ana.profile_id}']").click()
    second.locator(".person-state .pill", has_text=text["follows_you"]).wait_for()

    # Ana now follows and sees Ben's cards; she adds one to her wallet.
    first.goto(f"/app/people/{ben.profile_id}")
    first.locator(".person-state .pill", has_text=text["you_follow"]).wait_for()
    first.get_by_text("Ben's team").wait_for()
    card_row = first.locator(".list .row", has_text=ben_card["name"])
    card_row.get_by_role("button").click()
    card_row.get_by_text(text["in_wallet"]).wait_for()
    check(first, "person")
    wallet = call(app_server, ana, "GET", f"/v1/profiles/{ana.profile_id}/subscriptions")
    assert [entry["card"]["id"] for entry in wallet["items"]] == [ben_card["id"]]

    # Block: confirmed in a sheet; the follow ends both ways and the profile is out of sight
    # (the app's reads of it are 404 from now on: Chromium logs those).
    console_errors.allow(r"404")
    first.locator(".person-buttons").get_by_role("button", name=text["block"]).click()
    sheet = first.locator("dialog.sheet[open]")
    sheet.wait_for()
    check(first, "person-block")
    sheet.get_by_role("button", name=text["block"]).click()
    first.locator(".person-state .pill", has_text=text["blocked"]).wait_for()
    check(first, "person-blocked")
    relations = call(app_server, ana, "GET", f"/v1/profiles/{ana.profile_id}/relations")["items"]
    assert [(r["target_id"], r["status"]) for r in relations] == [(ben.profile_id, "block")]
    followers = call(app_server, ben, "GET", f"/v1/profiles/{ben.profile_id}/followers")["items"]
    assert followers == []

    # The blocked list names him (seen in this session) and unblocks.
    first.goto("/app/people")
    first.locator("a[href='/app/people/list/blocked']").click()
    row = first.locator(".person-row", has_text=ben.username)
    row.wait_for()
    row.get_by_role("button", name=text["unblock"]).click()
    row.wait_for(state="detached")
    assert call(app_server, ana, "GET", f"/v1/profiles/{ana.profile_id}/relations")["items"] == []
