"""Push notifications of new messages through FCM HTTP v1, against the local stand-in
(``tests.fixtures.fcm``): who gets one, what it says, and forgetting unregistered tokens."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bca.accounts.models import AuthSession
from bca.backends import Backends
from bca.backends.tasks import run_task
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, new_chat, post, relate, upload
from tests.fixtures.fcm import FakeFcm


@pytest.fixture
def settings_overrides(fake_fcm: FakeFcm) -> dict[str, Any]:
    return {
        "FIREBASE_CERTIFICATE": fake_fcm.certificate_path,
        "fcm_base_url": fake_fcm.url,
        "fcm_token_uri": fake_fcm.token_uri,
    }


async def register(api: Api, user: TestUser, token: str) -> None:
    response = await api.client.put(
        "/v1/sessions/current/push",
        json={"token": token, "platform": "android"},
        headers=user.headers,
    )
    assert response.status_code == 204, response.text


async def second_device(api: Api, user: TestUser) -> TestUser:
    device = TestUser(id=user.id, email=user.email, username=user.username, password=user.password)
    device.profile_id = user.profile_id
    return await api.sign_in_as(device, device_name="tablet")


def tokens(messages: list[dict[str, Any]]) -> list[str]:
    return sorted(message["token"] for message in messages)


async def test_a_message_is_pushed_to_every_other_participants_devices(
    api: Api, backends: Backends, fake_fcm: FakeFcm
) -> None:
    sender, ann, muted, blocker, departed, bystander = [await chat_user(api) for _ in range(6)]
    for user in (ann, muted, blocker, departed):
        await relate(api, user, sender)
    chat = await new_chat(api, sender, ann, muted, blocker, departed, title="Team", befriend=False)
    chat_id = chat["id"]
    anns_tablet = await second_device(api, ann)
    senders_phone = await second_device(api, sender)
    revoked = await second_device(api, ann)
    for user, token in (
        (sender, "sender-1"),
        (senders_phone, "sender-2"),
        (ann, "ann-1"),
        (anns_tablet, "ann-2"),
        (revoked, "ann-revoked"),
        (muted, "muted-1"),
        (blocker, "blocker-1"),
        (departed, "departed-1"),
        (bystander, "bystander-1"),
    ):
        await register(api, user, token)
    await api.client.post("/v1/auth/signout", headers=revoked.headers)
    await api.client.patch(f"/v1/chats/{chat_id}", json={"muted": True}, headers=muted.headers)
    await relate(api, blocker, sender, "block")
    await api.client.delete(
        f"/v1/chats/{chat_id}/participants/{departed.profile_id}", headers=departed.headers
    )
    await backends.tasks.drain()
    assert fake_fcm.requests == []  # membership changes are not pushed

    message = await post(api.client, sender, chat_id, "Standup in 5")
    await backends.tasks.drain()

    delivered = fake_fcm.delivered()
    assert tokens(delivered) == ["ann-1", "ann-2"]
    sender_name = (
        await api.client.get(f"/v1/profiles/{sender.profile_id}", headers=ann.headers)
    ).json()["name"]
    assert delivered[0]["notification"] == {
        "title": f"{sender_name} · Team",
        "body": "Standup in 5",
    }
    assert delivered[0]["data"] == {
        "type": "message",
        "chat_id": chat_id,
        "index": str(message["index"]),
        "profile_id": sender.profile_id,
    }
    # Signed in with a real, signed service-account assertion.
    assert fake_fcm.token_requests
    assert all(request.error is None for request in fake_fcm.token_requests)
    assert fake_fcm.token_requests[0].claims is not None
    assert fake_fcm.token_requests[0].claims["iss"] == fake_fcm.client_email

    # Ann's message reaches the sender's devices, and the blocker (who blocks the sender, not
    # Ann); muting stays in force.
    await post(api.client, ann, chat_id, "ok")
    await backends.tasks.drain()
    assert tokens(fake_fcm.delivered()[2:]) == ["blocker-1", "sender-1", "sender-2"]


async def test_long_and_file_messages_read_well_in_a_notification(
    api: Api, backends: Backends, fake_fcm: FakeFcm
) -> None:
    sender, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, sender, friend, direct=True)
    await register(api, friend, "friend-1")
    await post(api.client, sender, chat["id"], "x" * 500)
    file_id = (await upload(api.client, sender))["id"]
    await post(api.client, sender, chat["id"], "", file_id=file_id)
    await backends.tasks.drain()
    long, file = fake_fcm.delivered()
    assert len(long["notification"]["body"]) == 180
    assert long["notification"]["body"].endswith("…")
    assert "·" not in long["notification"]["title"]  # a direct chat: just the sender's name
    assert file["notification"]["body"] == "Sent a file"


async def test_unregistered_tokens_are_forgotten(
    api: Api, backends: Backends, fake_fcm: FakeFcm
) -> None:
    sender, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, sender, friend)
    tablet = await second_device(api, friend)
    await register(api, friend, "unregistered-phone")
    await register(api, tablet, "tablet-1")

    await post(api.client, sender, chat["id"], "one")
    await backends.tasks.drain()
    assert tokens(fake_fcm.delivered()) == ["tablet-1"]
    async with backends.database.transaction() as session:
        rows = await session.execute(
            select(AuthSession.id, AuthSession.push_token).where(
                AuthSession.user_id == uuid.UUID(friend.id)
            )
        )
        by_session = {str(row[0]): row[1] for row in rows}
    assert by_session[friend.session_id] is None
    assert by_session[tablet.session_id] == "tablet-1"

    await post(api.client, sender, chat["id"], "two")
    await backends.tasks.drain()
    assert [request.token for request in fake_fcm.requests].count("unregistered-phone") == 1


async def test_transient_failures_are_retried(
    api: Api, backends: Backends, fake_fcm: FakeFcm
) -> None:
    sender, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, sender, friend)
    await register(api, friend, "flaky-1")
    await post(api.client, sender, chat["id"], "eventually")
    await backends.tasks.drain()
    assert tokens(fake_fcm.delivered()) == ["flaky-1"]
    assert [request.status for request in fake_fcm.requests] == [503, 503, 200]


async def test_the_push_task_is_idempotent_and_skips_deleted_messages(
    api: Api, backends: Backends, fake_fcm: FakeFcm
) -> None:
    sender, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, sender, friend)
    await register(api, friend, "friend-1")
    message = await post(api.client, sender, chat["id"], "once")
    await backends.tasks.drain()
    assert len(fake_fcm.delivered()) == 1

    kwargs = {"chat_id": chat["id"], "index": message["index"]}
    await run_task(backends, "chat.send_push", kwargs)  # a retry, or a duplicate delivery
    assert len(fake_fcm.delivered()) == 1

    doomed = await post(api.client, sender, chat["id"], "regret")
    await api.client.delete(
        f"/v1/chats/{chat['id']}/messages/{doomed['index']}", headers=sender.headers
    )
    await backends.tasks.drain()
    fake_fcm.reset()
    # A task that runs late finds the message deleted; one for a non-message finds nothing.
    for index in (doomed["index"], doomed["index"] + 1, 1):
        await run_task(backends, "chat.send_push", {"chat_id": chat["id"], "index": index})
    assert fake_fcm.requests == []
