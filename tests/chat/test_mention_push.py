"""Mentions and push, against the FCM stand-in (``tests.fixtures.fcm``): a mention reaches a
participant who muted the chat, never one who blocks the sender, never the sender."""

from __future__ import annotations

from typing import Any

import pytest

from bca.backends import Backends
from tests.chat.test_chat_push import register, tokens
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, new_chat, post, relate
from tests.fixtures.fcm import FakeFcm


@pytest.fixture
def settings_overrides(fake_fcm: FakeFcm) -> dict[str, Any]:
    return {
        "FIREBASE_CERTIFICATE": fake_fcm.certificate_path,
        "fcm_base_url": fake_fcm.url,
        "fcm_token_uri": fake_fcm.token_uri,
    }


async def test_a_mention_pushes_in_a_muted_chat_never_from_a_blocked_sender(
    api: Api, backends: Backends, fake_fcm: FakeFcm
) -> None:
    sender, muted, blocker, quiet = [await chat_user(api) for _ in range(4)]
    for user in (muted, blocker, quiet):
        await relate(api, user, sender)
    chat = await new_chat(api, sender, muted, blocker, quiet, title="Team", befriend=False)
    chat_id = chat["id"]
    for user, token in (
        (sender, "sender-1"),
        (muted, "muted-1"),
        (blocker, "blocker-1"),
        (quiet, "quiet-1"),
    ):
        await register(api, user, token)
    for user in (muted, blocker, quiet):
        response = await api.client.patch(
            f"/v1/chats/{chat_id}", json={"muted": True}, headers=user.headers
        )
        assert response.status_code == 200, response.text
    await relate(api, blocker, sender, "block")

    mentioned = f"<@{muted.profile_id}> <@{blocker.profile_id}> <@{sender.profile_id}> look"
    await post(api.client, sender, chat_id, mentioned)
    await backends.tasks.drain()
    # The muted chat still pushes the mention; the blocker never hears from the sender; the
    # sender is not notified of their own mention; an unmentioned muted member hears nothing.
    assert tokens(fake_fcm.delivered()) == ["muted-1"]
    await post(api.client, sender, chat_id, "no mention")
    await backends.tasks.drain()
    assert tokens(fake_fcm.delivered()) == ["muted-1"]


async def edit(api: Api, user: TestUser, chat_id: str, index: int, body: str) -> None:
    response = await api.client.patch(
        f"/v1/chats/{chat_id}/messages/{index}", json={"body": body}, headers=user.headers
    )
    assert response.status_code == 200, response.text


async def test_an_edit_that_adds_a_mention_pushes_it_once_and_one_taken_out_stops_counting(
    api: Api, backends: Backends, fake_fcm: FakeFcm
) -> None:
    sender, ann, bob = [await chat_user(api) for _ in range(3)]
    for user in (ann, bob):
        await relate(api, user, sender)
    chat = await new_chat(api, sender, ann, bob, title="Team", befriend=False)
    chat_id = chat["id"]
    for user, token in ((sender, "sender-1"), (ann, "ann-1"), (bob, "bob-1")):
        await register(api, user, token)
    for user in (ann, bob):
        muted = await api.client.patch(
            f"/v1/chats/{chat_id}", json={"muted": True}, headers=user.headers
        )
        assert muted.status_code == 200, muted.text

    async def unread_mentions(user: TestUser) -> int:
        found = (await api.client.get(f"/v1/chats/{chat_id}", headers=user.headers)).json()
        count: int = found["unread_mentions"]
        return count

    async def listed(user: TestUser) -> list[int]:
        page = (await api.client.get("/v1/mentions", headers=user.headers)).json()
        return [event["index"] for event in page["items"]]

    message = await post(api.client, sender, chat_id, f"<@{ann.profile_id}> hello")
    await backends.tasks.drain()
    assert tokens(fake_fcm.delivered()) == ["ann-1"]

    # The edit adds Bob: he alone is notified (Ann was already), and it counts for him.
    await edit(api, sender, chat_id, message["index"], f"<@{ann.profile_id}> <@{bob.profile_id}>")
    await backends.tasks.drain()
    assert tokens(fake_fcm.delivered()) == ["ann-1", "bob-1"]
    assert await unread_mentions(bob) == 1
    assert await listed(bob) == [message["index"]]

    # An edit that keeps both notifies nobody again.
    await edit(api, sender, chat_id, message["index"], f"<@{bob.profile_id}> <@{ann.profile_id}>!")
    await backends.tasks.drain()
    assert tokens(fake_fcm.delivered()) == ["ann-1", "bob-1"]

    # One that takes Ann out: her mention no longer counts nor is listed, and no push.
    await edit(api, sender, chat_id, message["index"], f"<@{bob.profile_id}> only")
    await backends.tasks.drain()
    assert tokens(fake_fcm.delivered()) == ["ann-1", "bob-1"]
    assert (await unread_mentions(ann), await unread_mentions(bob)) == (0, 1)
    assert await listed(ann) == []
