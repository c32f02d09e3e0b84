"""The admin console in Debian's Chromium, against two real ``bca serve`` instances that share
PostgreSQL and Redis: what the admin does on one instance holds at once on the other."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bca.settings import Settings
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.fixtures.servers import BCA, Server, clean_environment, shared_stack_environment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]

ARTIFACTS = REPO_ROOT / "test-artifacts"
ADMIN_PASSWORD = "operator password 1"


def _environment(settings: Settings, tmp_path: Path) -> dict[str, str]:
    extra = {
        "BCA_RATE_LIMIT_ENABLED": "false",
        "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
        "BCA_PASSWORD_HASH_TIME_COST": "1",
        "BCA_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    return shared_stack_environment(settings, tmp_path / "var", extra)


def _create_admin(env: dict[str, str], tmp_path: Path, name: str) -> None:
    created = subprocess.run(
        [
            BCA,
            "admin",
            "create-user",
            "--admin",
            "--password-stdin",
            "--username",
            name,
            "--email",
            f"{name}@example.com",
        ],
        input=ADMIN_PASSWORD + "\n",
        env=clean_environment(env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr


def _signed_in(server: Server, name: str, device: str) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/v1/auth/signin",
        json={"login": name, "password": DEFAULT_PASSWORD, "device_name": device},
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _status_of(server: Server, tokens: dict[str, Any]) -> int:
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return httpx.get(f"{server.url}/v1/me", headers=headers).status_code


@pytest.mark.parametrize("stack", ["postgres"])
def test_admin_locks_revokes_and_rebuilds_across_instances(
    bca_server: Callable[..., Server], settings: Settings, tmp_path: Path
) -> None:
    from playwright.sync_api import ConsoleMessage, Request, expect, sync_playwright

    env = _environment(settings, tmp_path)
    admin_name = f"ops{time.monotonic_ns() % 10**8}"
    target = f"target{time.monotonic_ns() % 10**8}"
    _create_admin(env, tmp_path, admin_name)
    first, second = bca_server(env), bca_server(env)
    signup = httpx.post(
        f"{second.url}/v1/auth/signup",
        json={"email": f"{target}@example.com", "username": target, "password": DEFAULT_PASSWORD},
    )
    assert signup.status_code == 201, signup.text
    target_id = signup.json()["id"]
    tokens = _signed_in(second, target, "old phone")
    assert _status_of(first, tokens) == _status_of(second, tokens) == 200

    foreign_requests: list[str] = []
    policy_violations: list[str] = []

    def watch_request(request: Request) -> None:
        if not request.url.startswith((first.url, "data:")):
            foreign_requests.append(request.url)

    def watch_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            policy_violations.append(message.text)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.on("request", watch_request)
            page.on("console", watch_console)

            # Anonymous: the console sends the browser to its sign-in page.
            page.goto(f"{first.url}/admin/user/list")
            assert page.url.startswith(f"{first.url}/admin/login")
            page.fill("#login", admin_name)
            page.fill("#password", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("#readiness")).to_contain_text("database")
            assert page.locator("#queue-depth").inner_text() == "0"
            page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)

            # Find the user.
            page.goto(f"{first.url}/admin/user/list")
            page.fill("#search-input", target)
            page.click("#search-button")
            page.wait_for_url("**search=*")
            expect(page.locator("table")).to_contain_text(f"{target}@example.com")
            page.screenshot(path=str(ARTIFACTS / "admin-users.png"), full_page=True)
            page.goto(f"{first.url}/admin/user/details/{target_id}")

            # Lock: a confirmation page, then the token dies on both instances at once.
            page.click("#actions >> text=Lock")
            expect(page.locator("text=Please confirm")).to_be_visible()
            page.click("#confirm")
            expect(page.locator("#done")).to_contain_text("Lock")
            assert _status_of(first, tokens) == 401
            assert _status_of(second, tokens) == 401

            # Unlock (not destructive: one click), then two devices sign in again.
            page.click("#actions >> text=Unlock")
            expect(page.locator("#done")).to_contain_text("Unlock")
            phone = _signed_in(second, target, "phone")
            laptop = _signed_in(first, target, "laptop")

            # Revoke the phone's session only.
            page.reload()
            row = page.locator("#user-sessions tr", has_text="phone").filter(
                has_not_text="old phone"
            )
            row.locator("text=Revoke").click()
            page.click("#confirm")
            expect(page.locator("#done")).to_contain_text("Revoke session")
            assert _status_of(first, phone) == _status_of(second, phone) == 401
            assert _status_of(first, laptop) == _status_of(second, laptop) == 200

            # Rebuild the snapshot: the first instance's task queue builds a new file.
            built = _snapshot_built(page, first, target_id, laptop, before=None)
            page.click("#actions >> text=Rebuild sync snapshot")
            expect(page.locator("#done")).to_contain_text("Rebuild sync snapshot")
            _snapshot_built(page, first, target_id, laptop, before=built)

            # The audit view lists every action, newest first.
            page.goto(f"{first.url}/admin/audit-record/list")
            table = page.locator("table").first
            for action in ("user.lock", "user.unlock", "session.revoke", "user.rebuild-snapshot"):
                expect(table).to_contain_text(action)
            expect(table).to_contain_text(admin_name)
            page.screenshot(path=str(ARTIFACTS / "admin-audit.png"), full_page=True)

            # Sign out: the console asks to sign in again.
            page.goto(f"{first.url}/admin/logout")
            page.click("text=Sign out")
            page.goto(f"{first.url}/admin/")
            assert page.url.startswith(f"{first.url}/admin/login")
        finally:
            browser.close()
    assert foreign_requests == [], "the console loads nothing from another origin"
    assert policy_violations == [], "the console runs within its Content-Security-Policy"


def _snapshot_built(
    page: Any, server: Server, user_id: str, tokens: dict[str, Any], *, before: str | None
) -> str:
    """Wait until the user's page shows a built snapshot (newer than ``before``)."""
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    httpx.get(f"{server.url}/v1/sync/snapshot", headers=headers)  # the first one starts a build
    deadline = time.monotonic() + 20
    while True:
        page.goto(f"{server.url}/admin/user/details/{user_id}")
        built = str(page.locator("#snapshot-built").inner_text())
        if built != "never" and built != before:
            return built
        assert time.monotonic() < deadline, f"no snapshot built after {before}"
        time.sleep(0.3)
