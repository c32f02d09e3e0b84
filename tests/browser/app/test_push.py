"""Notifications on this device (issue 23, item 4), in a Pixel's Chromium against a real
``bca serve``, both stacks: the settings switch subscribes the browser under the server's VAPID
key and registers the subscription; a message then reaches the push service, encrypted for
this browser; text only with previews on; off again, the subscription is gone on both sides.

Headless Chromium has no push service of its own, so ``PushManager`` is the one thing stood in
for, at the browser's edge: it hands out a subscription of the local push service
(tests/webpush/stand_in.py), whose keys the test holds to decrypt what arrives.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import AppServer, call, friends, make_account, new_chat, sign_in
from tests.browser.app.test_offline import controlled, wait_true
from tests.webpush.stand_in import PushService

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.timeout(300)

# The browser's PushManager, over the subscription the test made (kept in localStorage, as
# the browser keeps its own across reloads).
FAKE_PUSH_MANAGER = """
(() => {
  const stored = () => localStorage.getItem('test.push.subscription');
  const made = (json) => ({
    endpoint: json.endpoint,
    toJSON: () => json,
    unsubscribe: async () => { localStorage.removeItem('test.push.subscription'); return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem('test.push.key', btoa(String.fromCharCode(...key)));
    localStorage.setItem('test.push.subscription', JSON.stringify(SUBSCRIPTION));
    return made(SUBSCRIPTION);
  };
  PushManager.prototype.getSubscription = async function () {
    const json = stored();
    return json ? made(JSON.parse(json)) : null;
  };
})();
"""


def switch(page: Page, selector: str, on: bool) -> None:
    control = page.locator(selector)
    control.wait_for()
    assert control.is_checked() is not on
    control.click()
    wait_true(
        page,
        "([s, on]) => { const c = document.querySelector(s); "
        "return c?.checked === on && !c.disabled; }",
        [selector, on],
    )


def test_notifications_on_this_device_reach_the_push_service(
    new_phone: NewPhone, app_server: AppServer, push_service: PushService
) -> None:
    alice, bob = friends(app_server)
    chat = new_chat(app_server, bob, alice, "Lunch")
    browser = push_service.browser(f"phone-{alice.username}")
    subscription = browser.subscription()
    del subscription["previews"]

    page = new_phone()
    page.context.grant_permissions(["notifications"])
    page.add_init_script(FAKE_PUSH_MANAGER.replace("SUBSCRIPTION", json.dumps(subscription)))
    sign_in(page, alice)
    controlled(page)
    page.goto("/app/settings/notifications")
    switch(page, "#push-device", on=True)
    # Subscribed under the server's VAPID key.
    key = call(app_server, alice, "GET", "/v1/push/web/key")["key"]
    sent_key = page.evaluate("localStorage.getItem('test.push.key')")
    assert sent_key.rstrip("=") == key.replace("-", "+").replace("_", "/").rstrip("=")

    def pushed(body: str, count: int) -> dict[str, object]:
        before = len(push_service.delivered())
        call(app_server, bob, "POST", f"/v1/chats/{chat['id']}/messages", json={"body": body})
        pushes = [
            p for p in push_service.wait_for(before + 1, timeout=30) if p.browser == browser.name
        ]
        assert len(pushes) == count
        payload = pushes[-1].payload
        assert payload is not None
        return payload

    payload = pushed("Noon?", 1)
    assert (payload["chat_id"], payload["chat_title"], payload["sender"]) == (
        chat["id"],
        "Lunch",
        "Bob",
    )
    assert "body" not in payload  # previews are off unless asked for
    switch(page, "#push-previews", on=True)
    assert pushed("At the usual place", 2)["body"] == "At the usual place"

    # A later start of the app knows this session's subscription.
    page.reload()
    wait_true(page, "() => document.querySelector('#push-device')?.checked === true")

    # Off: the server forgets the subscription and the browser drops it.
    with page.expect_request(
        lambda request: request.method == "DELETE" and "/v1/push/web/subscriptions/" in request.url
    ):
        switch(page, "#push-device", on=False)
    assert page.evaluate("localStorage.getItem('test.push.subscription')") is None
    page.reload()
    page.locator("#push-device").wait_for()
    assert not page.locator("#push-device").is_checked()


def test_the_service_worker_shows_a_pushed_message_per_chat(
    new_phone: NewPhone, app_server: AppServer
) -> None:
    alice = make_account(app_server, "alice", name="Alice")
    page = new_phone()
    page.context.grant_permissions(["notifications"])
    sign_in(page, alice)
    controlled(page)

    registrations: list[dict[str, object]] = []
    devtools = page.context.new_cdp_session(page)
    devtools.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    devtools.send("ServiceWorker.enable")
    for _ in range(50):  # the DevTools events arrive while the page waits
        scoped = [r for r in registrations if str(r["scopeURL"]).endswith("/app/")]
        if scoped:
            break
        page.wait_for_timeout(100)
    assert scoped, registrations
    registration_id = scoped[-1]["registrationId"]

    def deliver(payload: dict[str, object]) -> None:
        devtools.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": app_server.url,
                "registrationId": registration_id,
                "data": json.dumps(payload),
            },
        )

    def notifications() -> list[dict[str, str]]:
        shown: list[dict[str, str]] = page.evaluate(
            """async () => (await (await navigator.serviceWorker.ready).getNotifications())
                .map((n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url}))"""
        )
        return shown

    chat = "00000000-0000-4000-8000-00000000000c"
    message = {"type": "message", "chat_id": chat, "index": 7, "sender": "Bob", "profile_id": chat}
    deliver(message | {"chat_title": "Lunch"})
    wait_true(
        page,
        "async () => (await (await navigator.serviceWorker.ready).getNotifications()).length > 0",
    )
    assert notifications() == [
        {"title": "Bob · Lunch", "body": "", "tag": f"chat:{chat}", "url": f"/app/chats/{chat}"}
    ]
    # A newer message of the same chat replaces it, with its text when previews are on.
    deliver(message | {"index": 8, "body": "At noon"})
    wait_true(
        page,
        "async () => (await (await navigator.serviceWorker.ready).getNotifications())"
        ".some((n) => n.body === 'At noon')",
    )
    assert notifications() == [
        {"title": "Bob", "body": "At noon", "tag": f"chat:{chat}", "url": f"/app/chats/{chat}"}
    ]
