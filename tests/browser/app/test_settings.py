"""Settings in a Pixel's Chromium: change password, devices (revoke another one), CardDAV app
passwords that really open CardDAV until revoked, language, mute per chat, export my data,
delete my account (and come back within the grace period); a screenshot of each screen in
Korean and English, axe-core on each."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import AppServer, ConsoleErrors, axe, fresh_name, page_lang, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "correct horse battery"
HOME_PROBE = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop>'
    "<d:current-user-principal/></d:prop></d:propfind>"
)
SIGNED_OUT = re.compile(r".*/app/(welcome|signin)(\?.*)?$")
# A wrong password and a revoked session are 401s, which Chromium logs as failed resources.
FAILED_401 = r"status of 401"


@dataclass
class Account:
    username: str
    email: str
    password: str
    user_id: str


def make_account(server: AppServer, prefix: str = "ada") -> Account:
    """A verified account, made over the API (the auth screens have their own tests)."""
    username = fresh_name(prefix)
    email = f"{username}@example.com"
    with httpx.Client(base_url=server.url) as client:
        created = client.post(
            "/v1/auth/signup", json={"email": email, "username": username, "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
        token = parse_qs(urlsplit(server.mail_link(email)).query)["token"][0]
        verified = client.post("/v1/auth/email/verify", json={"token": token})
        assert verified.status_code == 204, verified.text
    return Account(username, email, PASSWORD, created.json()["id"])


def api_headers(server: AppServer, account: Account) -> dict[str, str]:
    signed = httpx.post(
        f"{server.url}/v1/auth/signin",
        json={"login": account.username, "password": account.password, "device_name": "pytest"},
    )
    assert signed.status_code == 200, signed.text
    return {"Authorization": f"Bearer {signed.json()['access_token']}"}


def sign_in(page: Page, login: str, password: str) -> None:
    page.goto("/app/signin")
    page.locator("input[autocomplete=username]").fill(login)
    page.locator("input[autocomplete=current-password]").fill(password)
    page.locator("button[type=submit]").click()


def signed_in(page: Page, account: Account) -> None:
    sign_in(page, account.username, account.password)
    page.wait_for_url("**/app/wallet")


def heading(page: Page, text: str) -> None:
    page.get_by_role("heading", level=1, name=text).wait_for()


def dav_status(server: AppServer, login: str, secret: str) -> int:
    response = httpx.request(
        "PROPFIND",
        f"{server.url}/dav/",
        content=HOME_PROBE,
        headers={"Depth": "0", "Content-Type": "application/xml"},
        auth=(login, secret),
    )
    return response.status_code


def make_chat(server: AppServer, owner: Account, title: str) -> str:
    """A group chat of `owner` with one other person (who follows the owner's profile)."""
    guest = make_account(server, "bob")
    owner_headers, guest_headers = api_headers(server, owner), api_headers(server, guest)

    def first_profile(headers: dict[str, str]) -> str:
        listed = httpx.get(f"{server.url}/v1/profiles", headers=headers)
        assert listed.status_code == 200, listed.text
        profile_id: str = listed.json()["items"][0]["id"]
        return profile_id

    mine, theirs = first_profile(owner_headers), first_profile(guest_headers)
    follow = httpx.put(
        f"{server.url}/v1/profiles/{theirs}/relations/{mine}",
        json={"status": "follow"},
        headers=guest_headers,
    )
    assert follow.status_code == 200, follow.text
    chat = httpx.post(
        f"{server.url}/v1/chats",
        json={"profile_id": mine, "participant_ids": [theirs], "title": title},
        headers=owner_headers,
    )
    assert chat.status_code == 201, chat.text
    chat_id: str = chat.json()["id"]
    return chat_id


def check(page: Page, name: str) -> None:
    """axe-core (0 serious/critical) and a screenshot named for the screen."""
    page.wait_for_load_state("networkidle")
    axe(page, name=f"{name} ({page_lang(page)})")
    shot(page, name)


# --- the screens, in both languages -----------------------------------------------------------


@pytest.mark.parametrize("app_stack", ["sqlite"], scope="module")
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_settings_screen_in_both_languages(
    new_phone: NewPhone, app_server: AppServer, lang: str
) -> None:
    account = make_account(app_server)
    make_chat(app_server, account, "Team lunch")
    page = new_phone()
    signed_in(page, account)
    words: dict[str, dict[str, str]] = {
        "en": {
            "me": "Me",
            "account": "Account",
            "devices": "Devices",
            "export": "Export my data",
            "delete": "Delete my account",
        },
        "ko": {
            "me": "나",
            "account": "계정",
            "devices": "기기",
            "export": "내 데이터 내보내기",
            "delete": "계정 삭제",
        },
    }
    page.goto("/app/me")
    heading(page, words[lang]["me"])
    page.get_by_role("link", name=re.compile(words[lang]["devices"])).wait_for()
    check(page, "me-settings")

    page.goto("/app/settings/account")
    heading(page, words[lang]["account"])
    check(page, "settings-account")
    page.locator(".settings-danger a").click()
    heading(page, words[lang]["delete"])
    page.locator("input[type=password]").wait_for()
    check(page, "settings-delete-account")

    page.goto("/app/settings/export")
    heading(page, words[lang]["export"])
    page.locator(".empty").wait_for()
    check(page, "settings-export")

    page.goto("/app/settings/devices")
    page.locator(".pill-primary").wait_for()
    check(page, "settings-devices")

    page.goto("/app/settings/app-passwords")
    page.locator(".empty").wait_for()
    check(page, "settings-app-passwords-empty")
    page.locator(".stack button").first.click()
    page.locator("dialog[open] input").fill("Pixel")
    page.locator("dialog[open] button[type=submit]").click()
    page.locator("dialog[open] .copy-secret").wait_for()
    check(page, "settings-app-password-created")
    page.keyboard.press("Escape")
    page.locator(".list .row").first.wait_for()
    check(page, "settings-app-passwords")

    page.goto("/app/settings/app-passwords/guide")
    page.locator(".copy-value").first.wait_for()
    check(page, "settings-carddav-guide")

    page.goto("/app/settings/language")
    page.locator("input[type=radio]:checked").wait_for()
    check(page, "settings-language")

    page.goto("/app/settings/notifications")
    page.get_by_text("Team lunch").wait_for()
    check(page, "settings-notifications")

    page.goto("/app/settings/about")
    page.locator(".about-version").wait_for()
    check(page, "settings-about")
    docs = page.locator('a[href="/docs"]')
    assert httpx.get(app_server.url + str(docs.get_attribute("href"))).status_code == 200


# --- what they do ------------------------------------------------------------------------------


def test_change_password_then_sign_in_with_the_new_one(
    new_phone: NewPhone, app_server: AppServer, console_errors: ConsoleErrors
) -> None:
    console_errors.allow(FAILED_401)
    account = make_account(app_server)
    page = new_phone()
    signed_in(page, account)
    page.goto("/app/me")
    page.get_by_role("link", name=re.compile("^Account")).click()
    heading(page, "Account")

    form = page.locator("form").first
    fields = form.locator("input[type=password]")
    # Client-side checks first: too short, then the two new ones differ.
    fields.nth(0).fill(account.password)
    fields.nth(1).fill("short")
    form.locator("button[type=submit]").click()
    form.get_by_text("Use at least 8 characters.").wait_for()
    new_password = "a much newer secret"
    fields.nth(1).fill(new_password)
    fields.nth(2).fill(new_password + "!")
    form.locator("button[type=submit]").click()
    form.get_by_text("The two new passwords differ.").wait_for()
    # A wrong current password is said at its field, and this device stays signed in.
    fields.nth(0).fill("not my password")
    fields.nth(2).fill(new_password)
    form.locator("button[type=submit]").click()
    form.get_by_text("The current password is wrong.").wait_for()
    assert page.url.endswith("/app/settings/account")
    assert page.evaluate("localStorage.getItem('bca.refresh')") is not None

    fields.nth(0).fill(account.password)
    form.locator("button[type=submit]").click()
    page.get_by_text("Password changed.", exact=False).wait_for()
    assert fields.nth(0).input_value() == ""

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(SIGNED_OUT)
    assert page.evaluate("localStorage.getItem('bca.refresh')") is None
    assert page.evaluate("localStorage.getItem('bca.user')") is None

    sign_in(page, account.username, account.password)
    page.get_by_role("alert").wait_for()
    assert "/app/signin" in page.url
    sign_in(page, account.username, new_password)
    page.wait_for_url("**/app/wallet")


def test_one_device_lists_the_devices_and_revokes_the_other(
    new_phone: NewPhone, app_server: AppServer, console_errors: ConsoleErrors
) -> None:
    console_errors.allow(FAILED_401)
    account = make_account(app_server)
    mine, other = new_phone(), new_phone()
    signed_in(mine, account)
    signed_in(other, account)

    mine.goto("/app/settings/devices")
    rows = mine.locator(".list .row")
    rows.nth(1).wait_for()
    assert rows.count() == 2
    current = mine.locator(".row", has=mine.locator(".pill-primary"))
    assert current.count() == 1
    assert "Chrome on Android" in current.inner_text()
    assert re.search("Last used|Signed in", current.inner_text())

    rows.filter(has_not=mine.locator(".pill-primary")).get_by_role("button").click()
    mine.locator("dialog[open] .btn-danger").click()
    mine.get_by_text("Device signed out").wait_for()
    assert rows.count() == 1

    # The other phone's next action (in the app, no reload: its live connection may already
    # have been told) lands it signed out, told why, its tokens gone; one tap from sign-in.
    other.evaluate(
        "history.pushState(null, '', '/app/settings/devices');"
        "dispatchEvent(new PopStateEvent('popstate'))"
    )
    other.wait_for_url(SIGNED_OUT)
    other.get_by_text("Your session ended. Please sign in again.").wait_for()
    assert other.evaluate("localStorage.getItem('bca.refresh')") is None
    other.get_by_role("link", name="I have an account").click()
    other.wait_for_url("**/app/signin")

    # Revoking this device signs it out.
    mine.locator(".list .row").get_by_role("button").click()
    mine.locator("dialog[open] .btn-danger").click()
    mine.wait_for_url(SIGNED_OUT)
    assert mine.evaluate("localStorage.getItem('bca.refresh')") is None


def test_an_app_password_opens_carddav_until_revoked(
    new_phone: NewPhone, app_server: AppServer
) -> None:
    account = make_account(app_server)
    page = new_phone()
    signed_in(page, account)
    page.goto("/app/me")
    page.get_by_role("link", name=re.compile("^Phone contacts")).click()
    page.get_by_role("button", name="New app password").click()
    page.get_by_label("Name (e.g. the phone)").fill("Work phone")
    page.locator("dialog[open] button[type=submit]").click()
    secret = page.locator("dialog[open] .copy-secret .copy-value").inner_text().strip()
    assert re.fullmatch(r"([a-z2-9]{4}-){4}[a-z2-9]{4}", secret)
    values = page.locator("dialog[open] .copy-value").all_inner_texts()
    setup = httpx.get(
        f"{app_server.url}/v1/app-passwords/setup", headers=api_headers(app_server, account)
    )
    assert values[1:] == [setup.json()["server_url"], account.username]

    assert dav_status(app_server, account.username, secret) == 207

    page.get_by_role("button", name="Done").click()
    row = page.locator(".list .row", has_text="Work phone")
    row.wait_for()
    # Shown once: the screen, reloaded, has it nowhere.
    page.reload()
    row.wait_for()
    assert secret not in page.content()

    # The guide shows the address the server is known by, and the username.
    page.goto("/app/settings/app-passwords/guide")
    page.get_by_text(setup.json()["server_url"]).wait_for()
    page.go_back()

    row.get_by_role("button", name="Revoke Work phone").click()
    page.locator("dialog[open] .btn-danger").click()
    page.get_by_text("App password revoked").wait_for()
    assert row.count() == 0
    assert dav_status(app_server, account.username, secret) == 401


def test_the_language_switch_applies_at_once_and_is_remembered(
    new_phone: NewPhone, app_server: AppServer
) -> None:
    account = make_account(app_server)
    page = new_phone()
    signed_in(page, account)
    page.goto("/app/me")
    page.get_by_role("link", name=re.compile("^Language")).click()
    heading(page, "Language")
    page.get_by_label("한국어").check()
    heading(page, "언어")
    assert page_lang(page) == "ko"
    page.reload()
    heading(page, "언어")
    page.goto("/app/me")
    heading(page, "나")
    # The account's entry, not "계정 삭제" (delete my account) below it.
    page.get_by_role("link", name=re.compile("^계정(?! 삭제)")).wait_for()


def test_mute_a_chat(new_phone: NewPhone, app_server: AppServer) -> None:
    account = make_account(app_server)
    chat_id = make_chat(app_server, account, "Standup")
    page = new_phone()
    signed_in(page, account)
    page.goto("/app/settings/notifications")
    switch = page.get_by_role("switch", name="Mute: Standup")
    assert not switch.is_checked()
    switch.click()
    page.get_by_text("Standup muted").wait_for()
    headers = api_headers(app_server, account)

    def muted() -> Any:
        return httpx.get(f"{app_server.url}/v1/chats/{chat_id}", headers=headers).json()["muted"]

    assert muted() is True
    page.reload()
    assert page.get_by_role("switch", name="Mute: Standup").is_checked()
    page.get_by_role("switch", name="Mute: Standup").click()
    page.get_by_text("Standup unmuted").wait_for()
    assert muted() is False


def test_export_my_data_then_delete_my_account_and_come_back(
    new_phone: NewPhone, app_server: AppServer, console_errors: ConsoleErrors
) -> None:
    """Issue 27 in the app: the export is prepared, listed and downloaded (a ZIP with its
    manifest); deleting the account signs out; signing in within the grace period brings the
    account back."""
    console_errors.allow(FAILED_401)
    account = make_account(app_server)
    page = new_phone()
    signed_in(page, account)

    page.goto("/app/settings/export")
    page.get_by_role("button", name="Prepare my export").click()
    page.get_by_text("Your export is being prepared", exact=False).wait_for()
    download_button = page.get_by_role("button", name=re.compile("^Download the export of"))
    for _ in range(40):  # the embedded server builds it in-process, in a moment
        if download_button.count():
            break
        page.get_by_role("button", name="Refresh").click()
        page.wait_for_timeout(250)
    with page.expect_download() as download:
        download_button.click()
    with zipfile.ZipFile(download.value.path()) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["user_id"] == account.user_id
    assert "README.txt" in archive.namelist()

    page.goto("/app/settings/account")
    page.get_by_role("link", name="Delete my account").click()
    page.get_by_text("Sign in with your password within 14 days", exact=False).wait_for()
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_text("The current password is wrong.").wait_for()
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(SIGNED_OUT)
    assert page.evaluate("localStorage.getItem('bca.refresh')") is None
    refused = httpx.post(
        f"{app_server.url}/v1/auth/signin",
        json={"login": account.username, "password": "not my password"},
    )
    assert refused.status_code == 401

    signed_in(page, account)  # within the grace period: the account comes back
    assert (
        httpx.get(f"{app_server.url}/v1/me", headers=api_headers(app_server, account)).status_code
        == 200
    )
