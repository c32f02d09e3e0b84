"""The account and profile screens in a Pixel's Chromium, in Korean and English: sign up, the
mailed verification link (the server's page leads into the app's sign-in), sign in, a wrong
password, a forgotten one reset through its mailed link, sign out; then profiles: create one
with a photo, switch the active one, edit, the choice kept across a reload. axe-core and a
screenshot on every screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import WEB, AppServer, ConsoleErrors, axe, fresh_name, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new password"
PHOTO = WEB / "public" / "icons" / "icon-512.png"

# What the screens say, per language (the tests find controls by their labels and names).
KEEP_MINE = {"en": "Keep my edit", "ko": "내 수정 남기기"}
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "create": "Create an account",
        "submit": "Create account",
        "profiles": "My profiles",
        "have": "I have an account",
        "email": "Email address",
        "username": "Username",
        "password": "Password",
        "login": "Email or username",
        "sign_in": "Sign in",
        "resend": "Send the link again",
        "resent": "A new link is on its way.",
        "verified": "Your address is confirmed.",
        "reset_done": "Your password is changed.",
        "wrong": "do not match",
        "forgot": "Forgot your password?",
        "send_link": "Send the link",
        "me": "Me",
        "new_profile": "New profile",
        "name": "Name",
        "team": "Team or company",
        "private": "Private profile",
        "save": "Save",
        "active": "Active",
        "edit": "Edit profile",
        "sign_out": "Sign out",
        "email_invalid": "Enter an email address.",
    },
    "ko": {
        "create": "계정 만들기",
        "submit": "계정 만들기",
        "profiles": "내 프로필",
        "have": "이미 계정이 있어요",
        "email": "이메일 주소",
        "username": "사용자 이름",
        "password": "비밀번호",
        "login": "이메일 또는 사용자 이름",
        "sign_in": "로그인",
        "resend": "링크 다시 보내기",
        "resent": "새 링크를 보냈습니다.",
        "verified": "주소가 확인되었습니다.",
        "reset_done": "비밀번호가 변경되었습니다.",
        "wrong": "맞지 않습니다",
        "forgot": "비밀번호를 잊으셨나요?",
        "send_link": "링크 보내기",
        "me": "나",
        "new_profile": "새 프로필",
        "name": "이름",
        "team": "팀 또는 회사",
        "private": "비공개 프로필",
        "save": "저장",
        "active": "사용 중",
        "edit": "프로필 편집",
        "sign_out": "로그아웃",
        "email_invalid": "이메일 주소를 입력하세요.",
    },
}
# A wrong password is a 401, which Chromium logs as a failed resource.
FAILED_401 = r"status of 401"


def check(page: Page, name: str) -> None:
    """axe-core (0 serious or critical) and a screenshot of the screen as it is now."""
    page.locator("h1").first.wait_for()
    axe(page, name=name)
    shot(page, name)


def sign_in(page: Page, words: dict[str, str], login: str, password: str) -> None:
    page.get_by_label(words["login"]).fill(login)
    page.get_by_label(words["password"], exact=True).fill(password)
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    page.wait_for_url(re.compile(r".*/app/wallet$"))


def verified_account(server: AppServer) -> tuple[str, str]:
    """A verified account made over the API: (username, email)."""
    username = fresh_name("pro")
    email = f"{username}@example.com"
    with httpx.Client(base_url=server.url) as client:
        created = client.post(
            "/v1/auth/signup", json={"email": email, "username": username, "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
        token = server.mail_link(email).split("token=", 1)[1]
        assert client.post("/v1/auth/email/verify", json={"token": token}).status_code == 204
    return username, email


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_sign_up_through_the_mailed_link_then_sign_in_and_out(
    new_phone: NewPhone, app_server: AppServer, lang: str
) -> None:
    words = WORDS[lang]
    page = new_phone()
    page.wait_for_url(re.compile(r".*/app/welcome$"))
    check(page, "welcome")

    page.get_by_role("link", name=words["create"]).click()
    page.wait_for_url(re.compile(r".*/app/signup$"))
    page.get_by_role("button", name=words["submit"]).click()
    # Checked on the phone first: nothing was sent, every field says what it needs.
    page.get_by_text(words["email_invalid"]).wait_for()
    check(page, "sign-up")

    username = fresh_name("sig")
    email = f"{username}@example.com"
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["username"]).fill(username)
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["submit"]).click()
    page.wait_for_url(re.compile(r".*/app/check-mail$"))
    page.locator("main", has_text=email).wait_for()
    check(page, "check-mail")
    page.get_by_role("button", name=words["resend"]).click()
    page.get_by_text(words["resent"]).wait_for()
    assert len(app_server.mails(email)) == 2, "the resend sent a second link"

    # The mailed link opens the server's page; its button verifies, then it leads into the app.
    page.goto(app_server.mail_link(email, count=2))
    page.locator("#verify").click()
    page.locator("#open-app").click()
    page.wait_for_url(re.compile(r".*/app/signin\?verified=1$"))
    page.get_by_text(words["verified"]).wait_for()
    assert page.get_by_label(words["login"]).input_value() == email, "the login is filled in"
    check(page, "sign-in")

    sign_in(page, words, email, PASSWORD)
    page.get_by_role("link", name=words["me"], exact=True).click()
    page.get_by_role("button", name=words["sign_out"]).click()
    page.wait_for_url(re.compile(r".*/app/welcome$"))
    # Signed out means signed out: the app's pages send back to the landing, nothing is kept.
    page.goto("/app/me")
    page.wait_for_url(re.compile(r".*/app/welcome$"))
    assert page.evaluate("localStorage.getItem('bca.refresh')") is None


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_wrong_password_then_a_reset_through_the_mailed_link(
    new_phone: NewPhone, app_server: AppServer, console_errors: ConsoleErrors, lang: str
) -> None:
    console_errors.allow(FAILED_401)
    words = WORDS[lang]
    username, email = verified_account(app_server)
    page = new_phone(path="/app/signin")
    page.get_by_label(words["login"]).fill(username)
    page.get_by_label(words["password"], exact=True).fill("not the password")
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    page.get_by_role("alert").filter(has_text=words["wrong"]).wait_for()
    check(page, "sign-in-refused")

    page.get_by_role("link", name=words["forgot"]).click()
    page.wait_for_url(re.compile(r".*/app/forgot-password$"))
    check(page, "forgot-password")
    page.get_by_label(words["email"]).fill(email)
    page.get_by_role("button", name=words["send_link"]).click()
    page.get_by_role("status").filter(has_text=email).wait_for()
    check(page, "forgot-password-sent")

    page.goto(app_server.mail_link(email))
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.locator("#confirm_password").fill(NEW_PASSWORD)
    page.locator("#save").click()
    page.locator("#open-app").click()
    page.wait_for_url(re.compile(r".*/app/signin\?reset=1$"))
    page.get_by_text(words["reset_done"]).wait_for()
    sign_in(page, words, username, NEW_PASSWORD)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_profiles_create_switch_and_edit(
    new_phone: NewPhone,
    app_server: AppServer,
    console_errors: ConsoleErrors,
    lang: str,
    tmp_path: Path,
) -> None:
    words = WORDS[lang]
    username, _ = verified_account(app_server)
    page = new_phone(path="/app/signin")
    sign_in(page, words, username, PASSWORD)
    page.get_by_role("link", name=words["me"], exact=True).click()
    profiles = page.locator(
        ".list-section", has=page.get_by_role("heading", name=words["profiles"], exact=True)
    )
    first = profiles.locator(".row", has_text=username)
    first.get_by_text(words["active"]).wait_for()
    check(page, "me")

    page.get_by_role("link", name=words["new_profile"]).first.click()
    page.wait_for_url(re.compile(r".*/app/me/profiles/new$"))
    page.get_by_label(words["name"], exact=True).fill("Ada at Work")
    page.get_by_label(words["team"]).fill("B.Ca")
    page.locator("#profile-image").set_input_files(PHOTO)
    check(page, "profile-new")
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_url(re.compile(r".*/app/me$"))
    # The new profile is the active one, with its photo (fetched with the token, shown as blob:).
    work = profiles.locator(".row", has_text="Ada at Work")
    work.get_by_text(words["active"]).wait_for()
    work.locator("img[src^='blob:']").wait_for()
    assert first.get_by_text(words["active"]).count() == 0

    # One tap switches back, and the choice survives a reload.
    first.click()
    first.get_by_text(words["active"]).wait_for()
    page.reload()
    first.get_by_text(words["active"]).wait_for()

    # Edit the active profile: a new name and private.
    page.get_by_role("link", name=words["edit"]).click()
    page.wait_for_url(re.compile(r".*/app/me/profiles/[0-9a-f-]{36}$"))
    check(page, "profile-edit")
    page.get_by_label(words["name"], exact=True).fill("Ada Lovelace")
    page.get_by_role("switch", name=words["private"]).check()
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_url(re.compile(r".*/app/me$"))
    profiles.locator(".row", has_text="Ada Lovelace").get_by_text(words["active"]).wait_for()
    check(page, "me-profiles")

    # Another device renames it while this one edits: both versions, and mine kept on request.
    page.get_by_role("link", name=words["edit"]).click()
    page.get_by_label(words["team"]).fill("Analytical")
    signed_in = httpx.post(
        f"{app_server.url}/v1/auth/signin",
        json={"login": username, "password": PASSWORD},
        timeout=30,
    ).json()
    headers = {"Authorization": f"Bearer {signed_in['access_token']}"}
    mine = next(
        profile
        for profile in httpx.get(f"{app_server.url}/v1/profiles", headers=headers).json()["items"]
        if profile["name"] == "Ada Lovelace"
    )
    url = f"{app_server.url}/v1/profiles/{mine['id']}"
    elsewhere = httpx.patch(
        url,
        json={"name": "Ada Countess"},
        headers=headers | {"If-Match": f'"{mine["version"]}"'},
        timeout=30,
    )
    assert elsewhere.status_code == 200, elsewhere.text
    console_errors.allow(r"status of 412")
    page.get_by_role("button", name=words["save"]).click()
    panel = page.locator(".conflict")
    panel.wait_for()
    name_row = panel.locator("tbody tr", has=page.locator("th", has_text=words["name"]))
    assert name_row.locator(".conflict-mine").inner_text() == "Ada Lovelace"
    assert name_row.locator(".conflict-theirs").inner_text() == "Ada Countess"
    check(page, "profile-conflict")
    panel.get_by_role("button", name=KEEP_MINE[lang]).click()
    page.wait_for_url(re.compile(r".*/app/me$"))
    saved = httpx.get(url, headers=headers).json()
    assert (saved["name"], saved["team_name"]) == ("Ada Lovelace", "Analytical")
