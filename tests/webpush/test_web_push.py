"""Web Push (issue 23, item 4) end to end against a local push service (``stand_in``): the
VAPID key, subscriptions, who gets a push and what it carries (checked VAPID JWT, decrypted
aes128gcm body), forgetting gone subscriptions, retries, and the refusals that keep the server
from being pointed at places it must not reach."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from bca.backends import Backends, safe_fetch, webpush
from bca.backends.webpush import EndpointPolicy, EndpointRefused, WebPushResult, WebPushTarget
from bca.settings import SettingsError, load_settings
from bca.webpush.models import WebPushSubscription
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, new_chat, post, relate
from tests.webpush.stand_in import Browser, PushService, b64url_decode

SUBSCRIPTIONS = "/v1/push/web/subscriptions"


async def subscribe(api: Api, user: TestUser, browser: Browser, *, previews: bool = False) -> str:
    response = await api.client.post(
        SUBSCRIPTIONS, json=browser.subscription(previews=previews), headers=user.headers
    )
    assert response.status_code == 201, response.text
    subscription_id: str = response.json()["id"]
    return subscription_id


async def second_device(api: Api, user: TestUser) -> TestUser:
    device = TestUser(id=user.id, email=user.email, username=user.username, password=user.password)
    device.profile_id = user.profile_id
    return await api.sign_in_as(device, device_name="laptop")


async def subscriptions(backends: Backends) -> int:
    async with backends.database.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(WebPushSubscription))
    return int(count or 0)


async def test_the_vapid_key_is_public_made_once_and_kept_beside_the_signing_key(
    api: Api, backends: Backends
) -> None:
    response = await api.client.get("/v1/push/web/key")
    assert response.status_code == 200, response.text
    key = response.json()["key"]
    point = b64url_decode(key)
    assert len(point) == 65  # an uncompressed P-256 point
    assert point[0] == 4
    key_file = backends.settings.data_dir / "vapid_private_key.pem"
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert key_file.stat().st_mode & 0o077 == 0
    # Another process on the same data dir signs with the same key.
    again = webpush.create_web_push_sender(load_settings(data_dir=backends.settings.data_dir))
    assert again.public_key == key
    await again.close()


def test_production_takes_its_key_from_settings_and_refuses_test_origins(tmp_path: Any) -> None:
    production = {"mode": "production", "secret_key": "s" * 40, "data_dir": tmp_path}
    assert load_settings(**production).vapid_private_key is None  # no Web Push, nothing made
    assert not (tmp_path / "vapid_private_key.pem").exists()
    raw = "x" * 43  # base64url of a 32-byte secret
    configured = load_settings(**production, web_push_vapid_private_key=raw)
    assert webpush.VapidWebPushSender(configured, raw).public_key
    with pytest.raises(SettingsError, match="WEB_PUSH_TEST_ORIGINS"):
        load_settings(**production, web_push_test_origins="http://127.0.0.1:8123")


async def test_subscribing_again_replaces_and_only_the_owner_may_unsubscribe(
    api: Api, backends: Backends, push_service: PushService
) -> None:
    ann, bob = await api.user(), await api.user()
    first = await subscribe(api, ann, push_service.browser("ann-1"))
    second = await subscribe(api, ann, push_service.browser("ann-2"))
    assert first != second
    assert await subscriptions(backends) == 1  # one per session
    anns_laptop = await second_device(api, ann)
    await subscribe(api, anns_laptop, push_service.browser("ann-laptop"))
    assert await subscriptions(backends) == 2

    gone = await api.client.delete(f"{SUBSCRIPTIONS}/{first}", headers=ann.headers)
    assert gone.status_code == 404
    others = await api.client.delete(f"{SUBSCRIPTIONS}/{second}", headers=bob.headers)
    assert others.status_code == 404
    unknown = await api.client.delete(f"{SUBSCRIPTIONS}/{uuid.uuid4()}", headers=ann.headers)
    assert unknown.status_code == 404
    mine = await api.client.delete(f"{SUBSCRIPTIONS}/{second}", headers=ann.headers)
    assert mine.status_code == 204
    assert await subscriptions(backends) == 1

    anonymous = await api.client.post(SUBSCRIPTIONS, json=push_service.browser("x").subscription())
    assert anonymous.status_code == 401
    body = push_service.browser("bad").subscription()
    body["keys"]["p256dh"] = "AAAA"
    bad_keys = await api.client.post(SUBSCRIPTIONS, json=body, headers=ann.headers)
    assert bad_keys.status_code == 422
    body["keys"] = "nope"
    assert (await api.client.post(SUBSCRIPTIONS, json=body, headers=ann.headers)).status_code == 422


async def test_a_message_is_pushed_to_the_other_participants_browsers_encrypted_and_signed(
    api: Api, backends: Backends, push_service: PushService
) -> None:
    sender, ann, muted, blocker, bystander = [await chat_user(api) for _ in range(5)]
    for user in (ann, muted, blocker):
        await relate(api, user, sender)
    chat = await new_chat(api, sender, ann, muted, blocker, title="Team", befriend=False)
    chat_id = chat["id"]
    anns_laptop = await second_device(api, ann)
    for user, name, previews in (
        (sender, "sender", False),
        (ann, "ann", False),
        (anns_laptop, "ann-laptop", True),
        (muted, "muted", False),
        (blocker, "blocker", False),
        (bystander, "bystander", False),
    ):
        await subscribe(api, user, push_service.browser(name), previews=previews)
    await api.client.patch(f"/v1/chats/{chat_id}", json={"muted": True}, headers=muted.headers)
    await relate(api, blocker, sender, "block")
    await backends.tasks.drain()
    assert push_service.pushes == []

    message = await post(api.client, sender, chat_id, "Standup in 5")
    await backends.tasks.drain()

    assert push_service.delivered_to() == ["ann", "ann-laptop"]
    key = (await api.client.get("/v1/push/web/key")).json()["key"]
    sender_name = (
        await api.client.get(f"/v1/profiles/{sender.profile_id}", headers=ann.headers)
    ).json()["name"]
    now = time.time()
    for push in push_service.pushes:
        assert push.error is None, push.error
        assert push.vapid_key == key
        assert push.claims is not None
        assert push.claims["aud"] == push_service.url
        assert now < push.claims["exp"] <= now + 24 * 3600
        assert push.claims["sub"].startswith(("mailto:", "https://"))
        assert push.headers["ttl"].isdigit()
        assert push.headers["topic"] == uuid.UUID(chat_id).hex
        assert len(push.body) < 1024
    payloads = {push.browser: push.payload for push in push_service.pushes}
    summary = {
        "type": "message",
        "chat_id": chat_id,
        "index": message["index"],
        "sender": sender_name,
        "profile_id": sender.profile_id,
        "chat_title": "Team",
    }
    assert payloads["ann"] == summary  # no text without previews
    assert payloads["ann-laptop"] == summary | {"body": "Standup in 5"}

    # Ann's message reaches the sender and the blocker (who blocks the sender, not Ann).
    await post(api.client, ann, chat_id, "ok")
    await backends.tasks.drain()
    assert sorted(push.browser for push in push_service.delivered()[2:]) == ["blocker", "sender"]


async def test_a_subscription_the_push_service_calls_gone_is_deleted(
    api: Api, backends: Backends, push_service: PushService
) -> None:
    sender, ann, ben = [await chat_user(api) for _ in range(3)]
    chat = await new_chat(api, sender, ann, ben)
    await subscribe(api, ann, push_service.browser("ann"))
    bens = await subscribe(api, ben, push_service.browser("ben"))
    push_service.script("ann", 410)
    await post(api.client, sender, chat["id"], "hello")
    await backends.tasks.drain()
    assert [push.status for push in push_service.pushes if push.browser == "ann"] == [410]
    assert push_service.delivered_to() == ["ben"]
    assert await subscriptions(backends) == 1
    del push_service.browsers["ben"]  # the stand-in answers 404 for a browser it forgot
    await post(api.client, sender, chat["id"], "again")
    await backends.tasks.drain()
    assert await subscriptions(backends) == 0
    assert (
        await api.client.delete(f"{SUBSCRIPTIONS}/{bens}", headers=ben.headers)
    ).status_code == 404


async def test_throttling_and_outages_are_retried_and_each_browser_notified_once(
    api: Api, backends: Backends, push_service: PushService, quick_retries: None
) -> None:
    sender, ann, ben = [await chat_user(api) for _ in range(3)]
    chat = await new_chat(api, sender, ann, ben)
    await subscribe(api, ann, push_service.browser("ann"))
    await subscribe(api, ben, push_service.browser("ben"))
    push_service.script("ann", 429, 503, 500)
    await post(api.client, sender, chat["id"], "hello")
    await backends.tasks.drain()
    assert [push.status for push in push_service.pushes if push.browser == "ann"] == [
        429,
        503,
        500,
        201,
    ]
    assert push_service.delivered_to() == ["ann", "ben"]  # ben's push was not repeated
    assert await subscriptions(backends) == 2


async def test_a_redirect_is_not_followed(
    api: Api, backends: Backends, push_service: PushService
) -> None:
    sender, ann = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, sender, ann)
    await subscribe(api, ann, push_service.browser("ann"))
    push_service.script("ann", 307)
    await post(api.client, sender, chat["id"], "hello")
    await backends.tasks.drain()
    assert [(push.browser, push.status) for push in push_service.pushes] == [("ann", 307)]


@pytest.mark.parametrize(
    ("endpoint", "why"),
    [
        ("http://fcm.googleapis.com/fcm/send/x", "https"),
        ("https://127.0.0.1/push", "known push service"),
        ("https://[::1]/push", "known push service"),
        ("https://169.254.169.254/latest/meta-data", "known push service"),
        ("https://evil.example/push", "known push service"),
        ("https://fcm.googleapis.com.evil.example/push", "known push service"),
        ("https://user@fcm.googleapis.com/push", "push service"),
        ("https://fcm.googleapis.com:8443/push", "https port"),
        ("https://private.notify.windows.com/w/?token=x", "public address"),
        ("not a url", "not a URL"),
        ("https://fcm.googleapis.com/fcm/send/a b", "not a URL"),
        ("https://fcm.googleapis.com/fcm/send/\x01", "not a URL"),
    ],
)
async def test_endpoints_the_server_must_not_reach_are_refused(
    api: Api, push_service: PushService, monkeypatch: pytest.MonkeyPatch, endpoint: str, why: str
) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return {"private.notify.windows.com": ["10.1.2.3"]}.get(host, ["142.250.1.1"])

    monkeypatch.setattr(safe_fetch, "resolve", resolve)
    ann = await api.user()
    body = push_service.browser("ann").subscription()
    body["endpoint"] = endpoint
    response = await api.client.post(SUBSCRIPTIONS, json=body, headers=ann.headers)
    assert response.status_code == 422, response.text
    assert why in response.json()["errors"][0]["msg"]
    body["endpoint"] = "https://fcm.googleapis.com/fcm/send/abc"
    allowed = await api.client.post(SUBSCRIPTIONS, json=body, headers=ann.headers)
    assert allowed.status_code == 201, allowed.text


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "169.254.169.254",
        "10.0.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "0.0.0.0",
        "224.0.0.1",
    ],
)
async def test_no_private_address_even_on_an_allowed_host_or_after_subscribing(
    backends: Backends, monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["142.250.1.1", address]  # one bad address is enough to refuse

    monkeypatch.setattr(safe_fetch, "resolve", resolve)
    policy = EndpointPolicy(backends.settings.model_copy(update={"web_push_hosts": "*.test"}))
    with pytest.raises(EndpointRefused, match="public address"):
        await policy.check("https://push.example.test/x")
    literal = f"[{address}]" if ":" in address else address
    permissive = backends.settings.model_copy(update={"web_push_hosts": address})
    with pytest.raises(EndpointRefused, match="public address"):
        await EndpointPolicy(permissive).check(f"https://{literal}/x")
    # Checked again when sending: a name re-pointed since subscribing is not contacted.
    target = WebPushTarget("https://fcm.googleapis.com/fcm/send/x", "k", "a")
    assert await backends.web_push.send(target, b"{}", topic="t") is WebPushResult.failed
    assert asked == ["push.example.test", "fcm.googleapis.com"]


async def test_a_checked_send_goes_to_the_address_just_checked(
    backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["142.250.1.1"]

    monkeypatch.setattr(safe_fetch, "resolve", resolve)
    checked = await EndpointPolicy(backends.settings).check(
        "https://fcm.googleapis.com/fcm/send/abc?x=1"
    )
    assert checked.url == "https://142.250.1.1/fcm/send/abc?x=1"
    assert (checked.host, checked.audience, checked.pinned) == (
        "fcm.googleapis.com",
        "https://fcm.googleapis.com",
        True,
    )


def test_no_log_line_carries_an_endpoint() -> None:
    """httpx would log each request's URL (the subscription) at INFO; only the push service's
    origin is ever logged by the sender."""
    from bca.core.observability import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(level="DEBUG", json_format=True)
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("httpx").setLevel(logging.NOTSET)
        logging.captureWarnings(False)
