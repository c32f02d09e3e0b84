"""Reports end to end through the admin console in Chromium (issue 26, part 4): a message is
reported, found in the console's queue with its context, removed; it is gone for everyone,
the audit shows the viewing and the action, and the reporter reads the outcome."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, EmbeddedServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]

ARTIFACTS = REPO_ROOT / "test-artifacts"
PASSWORD = "correct horse battery"


def _user(http: httpx.Client, name: str) -> dict[str, Any]:
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    created = http.post("/v1/auth/signup", json=body)
    assert created.status_code == 201, created.text
    tokens = http.post("/v1/auth/signin", json={"login": name, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    profile = http.get("/v1/profiles", headers=headers).json()["items"][0]["id"]
    return {"id": created.json()["id"], "headers": headers, "profile": profile}


def _events(http: httpx.Client, user: dict[str, Any], chat_id: str) -> list[dict[str, Any]]:
    answer = http.get(f"/v1/chats/{chat_id}/events", headers=user["headers"])
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["events"]
    return found


def test_a_reported_message_is_removed_through_the_console(
    embedded_server: EmbeddedServer,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with httpx.Client(base_url=embedded_server.url, timeout=10) as http:
        owner, member = _user(http, "grace"), _user(http, "mallory")
        moderator = _user(http, "moderator")
        database = embedded_server.settings.resolved_database_url.split("///", 1)[1]
        with sqlite3.connect(database) as db:
            db.execute("UPDATE users SET role = 'admin' WHERE username = 'moderator'")
        followed = http.put(
            f"/v1/profiles/{member['profile']}/relations/{owner['profile']}",
            json={"status": "follow"},
            headers=member["headers"],
        )
        assert followed.status_code == 200, followed.text
        chat = http.post(
            "/v1/chats",
            json={"profile_id": owner["profile"], "participant_ids": [member["profile"]]},
            headers=owner["headers"],
        ).json()
        for text in ("hi", "how are you", "fine", "good", "great", "meet tomorrow?"):
            http.post(
                f"/v1/chats/{chat['id']}/messages", json={"body": text}, headers=member["headers"]
            )
        nasty = http.post(
            f"/v1/chats/{chat['id']}/messages",
            json={"body": "you will regret this"},
            headers=member["headers"],
        ).json()
        reported = http.post(
            f"/v1/profiles/{owner['profile']}/reports",
            json={
                "kind": "message",
                "reason": "harassment",
                "chat_id": chat["id"],
                "index": nasty["index"],
                "text": "a threat",
            },
            headers=owner["headers"],
        )
        assert reported.status_code == 201, reported.text
        report_id = reported.json()["id"]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{embedded_server.url}/admin/report/list")
            page.fill("#login", "moderator")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{embedded_server.url}/admin/report/list")
            expect(page.locator("table")).to_contain_text("harassment")
            page.screenshot(path=str(ARTIFACTS / "admin-reports.png"), full_page=True)
            page.goto(f"{embedded_server.url}/admin/report/details/{report_id}")

            # The reported message and the five before it, and the reporter's copy.
            rows = page.locator("#report-context tbody tr")
            expect(rows).to_have_count(6)
            expect(page.locator("#reported-message")).to_contain_text("you will regret this")
            expect(rows.first).to_contain_text("how are you")
            expect(page.locator("#reporter-copy")).to_have_text("you will regret this")
            page.screenshot(path=str(ARTIFACTS / "admin-report.png"), full_page=True)

            page.click("#actions >> text=Remove the message")
            expect(page.locator("text=Please confirm")).to_be_visible()
            page.fill("#reason", "a threat of violence")
            page.click("#confirm")
            expect(page.locator("#done")).to_contain_text("Remove the message")
            # Resolved: no more actions; the audit lists the viewing and the removal.
            assert page.locator("#actions").count() == 0
            audit = page.locator("body")
            expect(audit).to_contain_text("report.remove-message")
            expect(audit).to_contain_text("report.view_context")
            # The message in context is gone now; the reporter's copy stays.
            expect(page.locator("#reported-message")).to_contain_text("deleted")
            expect(page.locator("#reporter-copy")).to_have_text("you will regret this")
        finally:
            browser.close()

    with httpx.Client(base_url=embedded_server.url, timeout=10) as http:
        for viewer in (owner, member):
            [message] = [
                e for e in _events(http, viewer, chat["id"]) if e["index"] == nasty["index"]
            ]
            assert message["body"] is None
            assert message["deleted_at"] is not None
        [outcome] = http.get("/v1/reports", headers=owner["headers"]).json()["items"]
        assert outcome["status"] == "message_removed"
        assert outcome["message_body"] == "you will regret this"
        stranger = http.get(f"/v1/reports/{report_id}", headers=moderator["headers"])
        assert stranger.status_code == 404
