"""Link previews and scheduled messages in the chat screen (issue 25, items 5 and 6), in a
Pixel's Chromium against a real ``bca serve`` on both stacks:

- Alice sends a link to a page of the local site (``page_site``, the one origin the server may
  fetch from without the address checks): the message shows its preview card (site, title,
  description, and the image the server stored as its own file), without a reload.
- She writes another message and chooses "Send later": the scheduled messages of the chat
  list it with its time; she cancels it, the list empties, and the server says cancelled.
- She attaches a file and schedules it with a caption: the server keeps both (the file
  uploaded first), and the composer is empty again.

The screen is checked by axe-core and saved as a screenshot.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    AppServer,
    bubble,
    call,
    check,
    friends,
    new_chat,
    send,
    sign_in,
)
from tests.fixtures.pages import PageServer

pytestmark = pytest.mark.timeout(300)


def test_a_link_shows_its_preview_and_a_message_is_scheduled_then_cancelled(
    new_phone: NewPhone, app_server: AppServer, page_site: PageServer, tmp_path: Path
) -> None:
    alice, bob = friends(app_server)
    chat = new_chat(app_server, alice, bob, "Previews")
    page = new_phone("en")
    sign_in(page, alice)
    page.goto(f"/app/chats/{chat['id']}")
    link = page_site.url("/page")

    send(page, f"Have a look: {link}")
    card = bubble(page, "Have a look").locator(".msg-preview")
    card.wait_for(timeout=20_000)
    assert card.locator(".msg-preview-title").inner_text() == "Cards & chats"
    assert card.locator(".msg-preview-site").inner_text() == "B.Ca test site"
    assert "business cards" in card.locator(".msg-preview-description").inner_text()
    assert card.get_attribute("href") == link
    image = card.locator("img.msg-preview-image")
    image.wait_for()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 64", arg=image.element_handle()
    )
    check(page, "chat-link-preview")

    page.locator("textarea.composer-input").fill("See you tomorrow")
    page.get_by_role("button", name="Send later").click()
    sheet = page.locator("dialog.sheet[open]")
    sheet.locator("input[type=datetime-local]").wait_for()
    sheet.locator("button[type=submit]").click()
    scheduled = page.locator("details.scheduled")
    scheduled.wait_for()
    assert page.locator("textarea.composer-input").input_value() == ""
    scheduled.locator("summary").click()
    assert "Scheduled messages (1)" in scheduled.locator("summary").inner_text()
    item = scheduled.locator(".scheduled-item", has_text="See you tomorrow")
    item.wait_for()
    check(page, "chat-scheduled")
    kept = call(app_server, alice, "GET", "/v1/scheduled-messages", params={"chat_id": chat["id"]})
    assert [(k["body"], k["status"]) for k in kept["items"]] == [("See you tomorrow", "scheduled")]

    item.get_by_role("button", name="Cancel").click()
    scheduled.wait_for(state="detached")
    kept = call(app_server, alice, "GET", "/v1/scheduled-messages", params={"chat_id": chat["id"]})
    assert [(k["body"], k["status"], k["cancel_reason"]) for k in kept["items"]] == [
        ("See you tomorrow", "cancelled", "cancelled")
    ]
    assert bubble(page, "See you tomorrow").count() == 0  # never posted

    notes = tmp_path / "agenda.txt"
    notes.write_text("1. cards\n2. chats\n")
    page.locator(".composer input[type=file]").set_input_files(str(notes))
    page.locator(".composer-attachment").wait_for()
    page.locator("textarea.composer-input").fill("The agenda")
    page.get_by_role("button", name="Send later").click()
    sheet = page.locator("dialog.sheet[open]")
    assert "agenda.txt" in sheet.locator(".schedule-file").inner_text()
    check(page, "chat-schedule-file")
    sheet.locator("button[type=submit]").click()
    scheduled.wait_for()
    assert page.locator(".composer-attachment").count() == 0
    assert page.locator("textarea.composer-input").input_value() == ""
    kept = call(
        app_server,
        alice,
        "GET",
        "/v1/scheduled-messages",
        params={"chat_id": chat["id"], "status": "scheduled"},
    )
    assert [(k["body"], k["file"]["content_type"].split(";")[0]) for k in kept["items"]] == [
        ("The agenda", "text/plain")
    ]
