"""The share target (issue 23, item 5), in a Pixel's Chromium against a real ``bca serve``, both
stacks: another app shares a link and a photo to B.Ca (the manifest's ``share_target``: a
multipart POST to /app/share-target, made here by a form as Android's share sheet makes it);
the service worker keeps them and opens "send to chat"; one tap sends them to the chat chosen.
"""

from __future__ import annotations

import base64
import re

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    LIVE,
    AppServer,
    call,
    check,
    friends,
    new_chat,
    sign_in,
    small_png,
)
from tests.browser.app.test_offline import controlled

pytestmark = pytest.mark.timeout(300)

# What Android's share sheet sends: a form POST of the manifest's fields, the photo as a file.
SHARE = """([text, url, png]) => {
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = '/app/share-target';
  form.enctype = 'multipart/form-data';
  for (const [name, value] of [['title', ''], ['text', text], ['url', url]]) {
    const input = document.createElement('input');
    input.name = name;
    input.value = value;
    form.append(input);
  }
  const file = document.createElement('input');
  file.type = 'file';
  file.name = 'file';
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], 'menu.png', { type: 'image/png' }));
  file.files = transfer.files;
  form.append(file);
  document.body.append(form);
  form.submit();
}"""


def test_a_shared_link_and_photo_go_to_the_chat_chosen(
    new_phone: NewPhone, app_server: AppServer
) -> None:
    alice, bob = friends(app_server)
    chat = new_chat(app_server, alice, bob, "Lunch")
    page = new_phone()
    sign_in(page, alice)
    controlled(page)

    text, link = "Today's menu https://example.com/menu", "https://example.com/menu"
    page.evaluate(SHARE, [text, link, base64.b64encode(small_png()).decode()])
    page.wait_for_url(re.compile(r"/app/chats/share$"), timeout=LIVE)
    # The link came twice (in the text and as the url): it is sent once.
    page.locator(".share-preview-text", has_text=text).wait_for(timeout=LIVE)
    assert page.locator(".share-preview-text").inner_text() == text
    page.locator(".share-preview-image").wait_for()
    lunch = page.locator(".list-section", has_text="Choose a chat").get_by_role(
        "button", name="Lunch"
    )
    lunch.wait_for(timeout=LIVE)
    check(page, "chat-share-photo")
    lunch.click()
    page.wait_for_url(re.compile(rf"/app/chats/{chat['id']}$"))
    sent = page.locator(".msg-text", has_text="Today's menu")
    sent.first.wait_for(timeout=LIVE)

    # Bob's copy: the text once and the photo, sent once.
    for _ in range(LIVE // 200):
        events = call(app_server, bob, "GET", f"/v1/chats/{chat['id']}/events")["events"]
        messages = [event for event in events if event["type"] == "message"]
        if messages:
            break
        page.wait_for_timeout(200)
    assert [(m["body"], m["file"]["content_type"]) for m in messages] == [(text, "image/png")]
    # The bubble shown while sending and the message that landed are one, in the end.
    for _ in range(LIVE // 200):
        if sent.count() == 1:
            break
        page.wait_for_timeout(200)
    assert sent.count() == 1

    # Sent, the share is gone: the screen has nothing more to send.
    page.goto("/app/chats/share")
    page.get_by_text("Nothing to send").wait_for(timeout=LIVE)
