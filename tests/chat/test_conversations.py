"""Reactions, mentions, threads, pins and forwards (issue 25): each a kind of event in the
chat's gapless log, delivered like every event (pages, ``after=``, long-poll, WebSocket)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from bca.backends import Backends
from bca.chat import reactions
from tests.chat.test_chat_concurrency import assert_gapless
from tests.conftest import make_client
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, events, new_chat, post, relate, upload
from tests.fixtures.live_server import live_server  # noqa: F401  # the fixture
from tests.realtime.test_realtime import next_events, ready_socket


def reaction_url(chat_id: str, index: int, emoji: str) -> str:
    return f"/v1/chats/{chat_id}/messages/{index}/reactions/{quote(emoji)}"


async def react(api: Api, user: TestUser, chat_id: str, index: int, emoji: str) -> dict[str, Any]:
    response = await api.client.put(reaction_url(chat_id, index, emoji), headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def message_as_seen(api: Api, user: TestUser, chat_id: str, index: int) -> dict[str, Any]:
    found = [e for e in await events(api.client, user, chat_id) if e["index"] == index]
    assert len(found) == 1
    return found[0]


# --- reactions -------------------------------------------------------------------------------


async def test_reactions_are_counted_once_per_person_and_emoji(api: Api) -> None:
    owner, friend, outsider = [await chat_user(api) for _ in range(3)]
    chat = await new_chat(api, owner, friend)
    chat_id = chat["id"]
    message = await post(api.client, owner, chat_id, "lunch?")
    assert "reactions" not in message or message["reactions"] is None

    first = await react(api, friend, chat_id, message["index"], "👍")
    assert first["reactions"] == [{"emoji": "👍", "count": 1, "mine": True}]
    assert first["event"]["type"] == "reaction_added"
    assert first["event"]["body"] == "👍"
    assert first["event"]["target_index"] == message["index"]
    assert first["event"]["index"] == message["index"] + 1
    again = await react(api, friend, chat_id, message["index"], "👍")  # idempotent
    assert again["event"] is None
    assert again["reactions"] == [{"emoji": "👍", "count": 1, "mine": True}]
    await react(api, owner, chat_id, message["index"], "👍")
    await react(api, owner, chat_id, message["index"], "👨‍👩‍👧")

    seen = await message_as_seen(api, friend, chat_id, message["index"])
    assert seen["reactions"] == [
        {"emoji": "👍", "count": 2, "mine": True},
        {"emoji": "👨‍👩‍👧", "count": 1, "mine": False},
    ]
    removed = await api.client.delete(
        reaction_url(chat_id, message["index"], "👍"), headers=friend.headers
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["event"]["type"] == "reaction_removed"
    gone_again = await api.client.delete(
        reaction_url(chat_id, message["index"], "👍"), headers=friend.headers
    )
    assert gone_again.json()["event"] is None
    seen = await message_as_seen(api, owner, chat_id, message["index"])
    assert seen["reactions"] == [
        {"emoji": "👍", "count": 1, "mine": True},
        {"emoji": "👨‍👩‍👧", "count": 1, "mine": True},
    ]
    log = await events(api.client, owner, chat_id)
    assert_gapless(log, len(log))
    kinds = [e["type"] for e in log if e["index"] > message["index"]]
    assert kinds == ["reaction_added", "reaction_added", "reaction_added", "reaction_removed"]

    # Not an emoji: 422; someone outside the chat: 404, like a message that does not exist.
    for text in ("hello", "👍x", "<b>", "1"):
        bad = await api.client.put(
            reaction_url(chat_id, message["index"], text), headers=owner.headers
        )
        assert bad.status_code == 422, (text, bad.text)
    outside = await api.client.put(
        reaction_url(chat_id, message["index"], "👍"), headers=outsider.headers
    )
    assert outside.status_code == 404
    missing = await api.client.put(reaction_url(chat_id, 999, "👍"), headers=owner.headers)
    assert missing.status_code == 404
    system = await api.client.put(reaction_url(chat_id, 1, "👍"), headers=owner.headers)
    assert system.status_code == 404  # a join event is not a message


async def test_a_profiles_reactions_are_found_and_erased_by_profile_id(
    api: Api, backends: Backends
) -> None:
    """For the data-rights work: ``reactions.remove_reactions_of`` removes a profile's
    reactions and corrects each message's counts."""
    owner, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, friend)
    first = await post(api.client, owner, chat["id"], "one")
    second = await post(api.client, owner, chat["id"], "two")
    for emoji in ("👍", "🎉"):
        await react(api, friend, chat["id"], first["index"], emoji)
    await react(api, friend, chat["id"], second["index"], "👍")
    await react(api, owner, chat["id"], first["index"], "👍")
    async with backends.database.transaction() as session:
        removed = await reactions.remove_reactions_of(session, uuid.UUID(friend.profile_id))
    assert removed == 3
    seen = await message_as_seen(api, owner, chat["id"], first["index"])
    assert seen["reactions"] == [{"emoji": "👍", "count": 1, "mine": True}]
    assert (await message_as_seen(api, owner, chat["id"], second["index"])).get("reactions") is None


async def test_20_people_react_at_once_counts_exact_indexes_gapless(
    api: Api, backends: Backends
) -> None:
    people = [await chat_user(api) for _ in range(20)]
    chat = await new_chat(api, people[0], *people[1:])
    chat_id = chat["id"]
    message = await post(api.client, people[0], chat_id, "vote")

    async def both(person: TestUser) -> list[int]:
        async with make_client(backends) as client:
            indexes = []
            for emoji in ("👍", "🎉"):
                response = await client.put(
                    reaction_url(chat_id, message["index"], emoji), headers=person.headers
                )
                assert response.status_code == 200, response.text
                indexes.append(response.json()["event"]["index"])
            return indexes

    written = [i for indexes in await asyncio.gather(*(both(p) for p in people)) for i in indexes]
    assert sorted(written) == list(range(message["index"] + 1, message["index"] + 41))
    log = await events(api.client, people[3], chat_id)
    assert_gapless(log, message["index"] + 40)
    seen = await message_as_seen(api, people[3], chat_id, message["index"])
    assert seen["reactions"] == [
        {"emoji": "🎉", "count": 20, "mine": True},
        {"emoji": "👍", "count": 20, "mine": True},
    ]


async def test_each_new_kind_arrives_over_websocket_long_poll_and_after(
    api: Api,
    live_server: str,  # noqa: F811
) -> None:
    """reaction_added, message_pinned, message_unpinned and reaction_removed: the same events,
    in index order, over the WebSocket, a chain of long-polls and a catch-up with ``after=``."""
    owner, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, friend)
    chat_id = chat["id"]
    message = await post(api.client, owner, chat_id, "hi")
    url = f"/v1/chats/{chat_id}/events"

    async def long_polls(count: int) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        after = message["index"]
        while len(got) < count:
            response = await api.client.get(
                url, params={"after": after, "wait": 10}, headers=owner.headers
            )
            page = response.json()
            got += page["events"]
            after = page["next_after"]
        return got

    polling = asyncio.create_task(long_polls(4))
    pin_url = f"/v1/chats/{chat_id}/pins/{message['index']}"
    async with ready_socket(live_server, owner) as ws:
        await asyncio.sleep(0.3)
        added = await react(api, friend, chat_id, message["index"], "❤️")
        pinned = (await api.client.put(pin_url, headers=owner.headers)).json()
        unpinned = (await api.client.delete(pin_url, headers=owner.headers)).json()
        removed = (
            await api.client.delete(
                reaction_url(chat_id, message["index"], "❤️"), headers=friend.headers
            )
        ).json()
        received = await next_events(ws, 4)
    written = [added["event"], pinned, unpinned, removed["event"]]
    assert [event["type"] for event in written] == [
        "reaction_added",
        "message_pinned",
        "message_unpinned",
        "reaction_removed",
    ]
    assert received == written
    assert received[0]["reactions"] == [{"emoji": "❤️", "count": 1, "mine": False}]
    assert received[3]["reactions"] is None  # none left
    assert await polling == written
    assert await events(api.client, owner, chat_id, after=message["index"]) == written


# --- threads ---------------------------------------------------------------------------------


async def test_a_thread_lists_replies_with_count_and_latest_time(api: Api) -> None:
    owner, friend, later = [await chat_user(api) for _ in range(3)]
    chat = await new_chat(api, owner, friend, later)
    chat_id = chat["id"]
    root = await post(api.client, owner, chat_id, "plan?")
    one = await post(api.client, friend, chat_id, "A", reply_to=root["index"])
    await post(api.client, owner, chat_id, "unrelated")
    seen = await message_as_seen(api, owner, chat_id, root["index"])
    assert seen["reply_count"] == 1
    assert seen["last_reply_at"] == one["created_at"]

    # ``later`` leaves; the thread goes on without them.
    left = await api.client.delete(
        f"/v1/chats/{chat_id}/participants/{later.profile_id}", headers=later.headers
    )
    assert left.status_code == 204
    two = await post(api.client, owner, chat_id, "B", reply_to=root["index"])
    await api.client.patch(
        f"/v1/chats/{chat_id}/messages/{one['index']}", json={"body": "A!"}, headers=friend.headers
    )
    url = f"/v1/chats/{chat_id}/messages/{root['index']}/replies"
    replies = (await api.client.get(url, headers=owner.headers)).json()
    assert [(e["index"], e["body"]) for e in replies["events"]] == [
        (one["index"], "A!"),
        (two["index"], "B"),
    ]
    assert (await message_as_seen(api, owner, chat_id, root["index"]))["reply_count"] == 2
    paged = (
        await api.client.get(url, params={"after": one["index"]}, headers=owner.headers)
    ).json()
    assert [e["index"] for e in paged["events"]] == [two["index"]]

    # As it was when they left: one reply, unedited.
    theirs = (await api.client.get(url, headers=later.headers)).json()
    assert [(e["index"], e["body"]) for e in theirs["events"]] == [(one["index"], "A")]
    as_they_saw = await message_as_seen(api, later, chat_id, root["index"])
    assert as_they_saw["reply_count"] == 1
    assert as_they_saw["last_reply_at"] == one["created_at"]

    stranger = await chat_user(api)
    assert (await api.client.get(url, headers=stranger.headers)).status_code == 404
    bad = f"/v1/chats/{chat_id}/messages/1/replies"  # a join event has no thread
    assert (await api.client.get(bad, headers=owner.headers)).status_code == 404


# --- pins ------------------------------------------------------------------------------------


async def test_pins_by_the_owner_or_either_person_of_a_direct_chat(api: Api) -> None:
    owner, friend = await chat_user(api), await chat_user(api)
    group = await new_chat(api, owner, friend, title="G")
    message = await post(api.client, friend, group["id"], "remember this")
    url = f"/v1/chats/{group['id']}/pins/{message['index']}"
    refused = await api.client.put(url, headers=friend.headers)
    assert refused.status_code == 403
    pinned = await api.client.put(url, headers=owner.headers)
    assert pinned.status_code == 200
    assert pinned.json()["type"] == "message_pinned"
    assert pinned.json()["target_index"] == message["index"]
    assert (await api.client.put(url, headers=owner.headers)).json() is None  # idempotent
    listed = (await api.client.get(f"/v1/chats/{group['id']}/pins", headers=friend.headers)).json()
    assert [(p["index"], p["pinned_by"], p["message"]["body"]) for p in listed["items"]] == [
        (message["index"], owner.profile_id, "remember this")
    ]
    unpinned = await api.client.delete(url, headers=owner.headers)
    assert unpinned.json()["type"] == "message_unpinned"
    assert (await api.client.delete(url, headers=owner.headers)).json() is None
    listed = (await api.client.get(f"/v1/chats/{group['id']}/pins", headers=owner.headers)).json()
    assert listed["items"] == []

    direct = await new_chat(api, owner, friend, direct=True, befriend=False)
    said = await post(api.client, owner, direct["id"], "address")
    by_friend = await api.client.put(
        f"/v1/chats/{direct['id']}/pins/{said['index']}", headers=friend.headers
    )
    assert by_friend.status_code == 200
    assert by_friend.json()["type"] == "message_pinned"
    stranger = await chat_user(api)
    hidden = await api.client.get(f"/v1/chats/{direct['id']}/pins", headers=stranger.headers)
    assert hidden.status_code == 404
    log = await events(api.client, owner, group["id"])
    assert_gapless(log, len(log))


# --- forwards --------------------------------------------------------------------------------


async def test_forward_a_file_message_to_another_chat(api: Api) -> None:
    me, ann, bob = [await chat_user(api) for _ in range(3)]
    source = await new_chat(api, me, ann)
    target = await new_chat(api, me, bob)
    file = await upload(api.client, ann, "ann's notes")
    original = await post(api.client, ann, source["id"], "see notes", file_id=file["id"])
    url = f"/v1/chats/{source['id']}/messages/{original['index']}/forward"
    forwarded = await api.client.post(url, json={"chat_id": target["id"]}, headers=me.headers)
    assert forwarded.status_code == 201, forwarded.text
    copy = forwarded.json()
    assert copy["chat_id"] == target["id"]
    assert copy["type"] == "message"
    assert copy["profile_id"] == me.profile_id
    assert copy["body"] == "see notes"
    assert copy["file"]["id"] == file["id"]  # the same stored file, not a copy
    assert copy["forwarded"] == {
        "profile_id": ann.profile_id,
        "created_at": original["created_at"],
    }
    assert (await message_as_seen(api, bob, target["id"], copy["index"]))["forwarded"] == copy[
        "forwarded"
    ]
    # Bob now sees the file through the chat it was forwarded to.
    assert (await api.client.get(f"/v1/files/{file['id']}", headers=bob.headers)).status_code in (
        200,
        307,
    )
    # A chat I am not in, or a message I cannot read: 404.
    other = await new_chat(api, ann, bob)
    assert (
        await api.client.post(url, json={"chat_id": other["id"]}, headers=me.headers)
    ).status_code == 404
    assert (
        await api.client.post(
            f"/v1/chats/{other['id']}/messages/1/forward",
            json={"chat_id": target["id"]},
            headers=me.headers,
        )
    ).status_code == 404
    # Retried with the same key: once.
    keyed = [
        await api.client.post(
            url, json={"chat_id": target["id"]}, headers=me.headers | {"Idempotency-Key": "f1"}
        )
        for _ in range(2)
    ]
    assert keyed[0].json()["index"] == keyed[1].json()["index"]


# --- mentions --------------------------------------------------------------------------------


async def test_mentions_count_unread_and_list_across_chats(api: Api) -> None:
    me, ann, blocker = [await chat_user(api) for _ in range(3)]
    chat = await new_chat(api, me, ann, blocker, title="T")
    await relate(api, blocker, me, "block")
    text = f"<@{ann.profile_id}> and <@{blocker.profile_id}> and <@{me.profile_id}>: look"
    message = await post(api.client, me, chat["id"], text)
    await post(api.client, me, chat["id"], "no mention")

    async def unread(user: TestUser) -> int:
        found = (await api.client.get(f"/v1/chats/{chat['id']}", headers=user.headers)).json()
        n: int = found["unread_mentions"]
        return n

    assert await unread(ann) == 1
    assert await unread(blocker) == 0  # never from a profile they block
    assert await unread(me) == 0  # the sender is not mentioned by themselves
    listed = (await api.client.get("/v1/mentions", headers=ann.headers)).json()
    assert [(e["chat_id"], e["index"]) for e in listed["items"]] == [(chat["id"], message["index"])]
    assert (await api.client.get("/v1/chats", headers=ann.headers)).json()["items"][0][
        "unread_mentions"
    ] == 1
    read = await api.client.post(
        f"/v1/chats/{chat['id']}/read", json={"index": message["index"]}, headers=ann.headers
    )
    assert read.status_code == 204
    assert await unread(ann) == 0
    assert (await api.client.get("/v1/mentions", headers=me.headers)).json()["items"] == []
    pages = await api.client.get("/v1/mentions", params={"limit": 1}, headers=ann.headers)
    assert pages.json()["next_cursor"] is None


@pytest.mark.parametrize("stack", ["sqlite"])
async def test_a_plain_post_writes_no_conversation_rows(api: Api, backends: Backends) -> None:
    """Unused, the features cost nothing: no reaction counts, thread or origin on a message."""
    owner, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, friend)
    message = await post(api.client, owner, chat["id"], "plain")
    for field in ("reactions", "reply_count", "last_reply_at", "forwarded"):
        assert message.get(field) is None
