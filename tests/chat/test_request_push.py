"""Message requests and push, against the FCM stand-in (``tests.fixtures.fcm``): one quiet
notice per request, nothing for its messages until it is accepted, the usual pushes after."""

from __future__ import annotations

from typing import Any

import pytest

from bca.backends import Backends
from bca.backends.tasks import run_task
from tests.chat.test_chat_push import register
from tests.factories.accounts import Api
from tests.factories.chat import chat_user, post, relate
from tests.fixtures.fcm import FakeFcm


@pytest.fixture
def settings_overrides(fake_fcm: FakeFcm) -> dict[str, Any]:
    return {
        "FIREBASE_CERTIFICATE": fake_fcm.certificate_path,
        "fcm_base_url": fake_fcm.url,
        "fcm_token_uri": fake_fcm.token_uri,
    }


async def test_one_quiet_notice_then_nothing_until_accepted(
    api: Api, backends: Backends, fake_fcm: FakeFcm
) -> None:
    inviter, friend, stranger = await chat_user(api), await chat_user(api), await chat_user(api)
    await relate(api, friend, inviter)
    for user, token in ((inviter, "inviter-1"), (friend, "friend-1"), (stranger, "stranger-1")):
        await register(api, user, token)
    response = await api.client.post(
        "/v1/chats",
        json={
            "profile_id": inviter.profile_id,
            "participant_ids": [friend.profile_id, stranger.profile_id],
            "title": "Offer",
        },
        headers=inviter.headers,
    )
    assert response.status_code == 201, response.text
    chat_id = response.json()["id"]
    for body in ("A great offer", "Really great", "Last chance"):
        await post(api.client, inviter, chat_id, body)
    await backends.tasks.drain()

    (notice,) = fake_fcm.delivered_to("stranger-1")
    inviter_name = (
        await api.client.get(f"/v1/profiles/{inviter.profile_id}", headers=stranger.headers)
    ).json()["name"]
    assert notice["notification"] == {"title": inviter_name, "body": "Message request"}
    assert notice["data"] == {
        "type": "chat_request",
        "chat_id": chat_id,
        "profile_id": inviter.profile_id,
    }
    # Quiet: normal priority, low in the shade, no sound; passive on iOS.
    assert notice["android"]["priority"] == "normal"
    assert notice["android"]["notification"]["notification_priority"] == "PRIORITY_LOW"
    assert notice["android"]["notification"]["default_sound"] is False
    assert notice["apns"]["headers"]["apns-priority"] == "5"
    assert notice["apns"]["payload"]["aps"]["interruption-level"] == "passive"
    # The friend, a participant like any other, hears of every message, not quietly.
    to_friend = fake_fcm.delivered_to("friend-1")
    assert sorted(message["notification"]["body"] for message in to_friend) == [
        "A great offer",
        "Last chance",
        "Really great",
    ]
    assert all("android" not in message for message in to_friend)

    # A retried notice task notifies no one twice.
    await run_task(
        backends,
        "chat.send_request_notice",
        {"chat_id": chat_id, "profile_id": stranger.profile_id},
    )
    assert len(fake_fcm.delivered_to("stranger-1")) == 1

    accepted = await api.client.post(
        f"/v1/chat-requests/{chat_id}/accept", headers=stranger.headers
    )
    assert accepted.status_code == 200
    await post(api.client, inviter, chat_id, "Thanks for accepting")
    await backends.tasks.drain()
    after = fake_fcm.delivered_to("stranger-1")
    assert len(after) == 2
    assert after[1]["notification"]["body"] == "Thanks for accepting"
    assert "android" not in after[1]


async def test_no_notice_once_a_request_is_answered(
    api: Api, backends: Backends, fake_fcm: FakeFcm
) -> None:
    inviter, declines, waits = await chat_user(api), await chat_user(api), await chat_user(api)
    response = await api.client.post(
        "/v1/chats",
        json={
            "profile_id": inviter.profile_id,
            "participant_ids": [declines.profile_id, waits.profile_id],
        },
        headers=inviter.headers,
    )
    chat_id = response.json()["id"]
    await backends.tasks.drain()
    declined = await api.client.post(
        f"/v1/chat-requests/{chat_id}/decline", headers=declines.headers
    )
    assert declined.status_code == 204
    # Devices registered late: the notice, delayed, finds them, unless the request was answered.
    await register(api, declines, "declines-1")
    await register(api, waits, "waits-1")
    for invitee in (declines, waits):
        await run_task(
            backends,
            "chat.send_request_notice",
            {"chat_id": chat_id, "profile_id": invitee.profile_id},
        )
    await post(api.client, inviter, chat_id, "Hello?")
    await backends.tasks.drain()
    assert [message["token"] for message in fake_fcm.delivered()] == ["waits-1"]
