"""Chat events: messages, replies, files, edits, deletions, idempotent posting, read markers,
unread counts and the long-polling events endpoint."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, events, new_chat, post, relate, upload


async def pair(api: Api) -> tuple[TestUser, TestUser, str]:
    owner, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, friend)
    return owner, friend, chat["id"]


async def chat_of(api: Api, user: TestUser, chat_id: str) -> dict[str, Any]:
    response = await api.client.get(f"/v1/chats/{chat_id}", headers=user.headers)
    assert response.status_code == 200
    chat: dict[str, Any] = response.json()
    return chat


# --- posting -------------------------------------------------------------------------------


async def test_messages_take_the_next_indexes(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    first = await post(api.client, owner, chat_id, "hello")
    second = await post(api.client, friend, chat_id, "hi!")

    assert first["index"] == 3
    assert second["index"] == 4
    assert first["type"] == "message"
    assert first["chat_id"] == chat_id
    assert first["profile_id"] == owner.profile_id
    assert first["body"] == "hello"
    assert first["file"] is None
    assert first["created_at"].endswith("Z")
    log = await events(api.client, friend, chat_id, after=2)
    assert log == [first, second]
    assert (await chat_of(api, owner, chat_id))["last_event_index"] == 4


INVALID_MESSAGES: list[dict[str, Any]] = [
    {},
    {"body": ""},
    {"body": "   \n"},
    {"body": None, "file_id": None},
    {"body": "x" * 8001},
    {"body": "hi", "reply_to": 0},
    {"body": "hi", "reply_to": 2**40},
    {"body": "hi", "sticker": "cat"},
    {"body": 42},
    {"file_id": "not-a-uuid"},
]


async def test_invalid_messages_are_422(api: Api) -> None:
    owner = await chat_user(api)
    chat = await new_chat(api, owner)
    for body in INVALID_MESSAGES:
        response = await api.client.post(
            f"/v1/chats/{chat['id']}/messages", json=body, headers=owner.headers
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == "validation_error"
    assert (await chat_of(api, owner, chat["id"]))["last_event_index"] == 1
    longest = await post(api.client, owner, chat["id"], "é" * 8000)
    assert len(longest["body"]) == 8000


async def test_a_message_can_carry_an_uploaded_file(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    uploaded = await upload(api.client, owner, "agenda")
    event = await post(api.client, owner, chat_id, "", file_id=uploaded["id"])
    assert event["body"] is None
    assert event["file"] == {
        "id": uploaded["id"],
        "content_type": uploaded["content_type"],
        "size": len(b"agenda"),
        "url": f"https://bca.test/v1/files/{uploaded['id']}",
    }
    assert event["file"]["url"] == uploaded["url"]
    (seen,) = await events(api.client, friend, chat_id, after=2)
    assert seen["file"] == event["file"]
    # Posted, the file is visible to the chat's participants.
    download = await api.client.get(f"/v1/files/{uploaded['id']}", headers=friend.headers)
    assert download.status_code in (200, 307)


async def test_only_files_the_sender_uploaded_can_be_attached(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    theirs = (await upload(api.client, friend))["id"]
    for file_id in (theirs, "00000000-0000-4000-8000-000000000000"):
        response = await api.client.post(
            f"/v1/chats/{chat_id}/messages", json={"file_id": file_id}, headers=owner.headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "file_id"]


async def test_replies_point_at_an_existing_message(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    question = await post(api.client, owner, chat_id, "lunch?")
    answer = await post(api.client, friend, chat_id, "yes", reply_to=question["index"])
    assert answer["target_index"] == question["index"]
    for reply_to in (1, 99):  # a join event, and nothing at all
        response = await api.client.post(
            f"/v1/chats/{chat_id}/messages",
            json={"body": "?", "reply_to": reply_to},
            headers=friend.headers,
        )
        assert response.status_code == 422


# --- editing and deleting ------------------------------------------------------------------


async def test_the_author_edits_a_message(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    message = await post(api.client, owner, chat_id, "helo")
    url = f"/v1/chats/{chat_id}/messages/{message['index']}"

    edited = await api.client.patch(url, json={"body": "hello"}, headers=owner.headers)
    assert edited.status_code == 200, edited.text
    event = edited.json()
    assert event["type"] == "message_edited"
    assert event["index"] == message["index"] + 1
    assert event["target_index"] == message["index"]
    assert event["body"] == "hello"

    original, edit = await events(api.client, friend, chat_id, after=2)
    assert original["body"] == "hello"
    assert original["edited_at"] is not None
    assert edit == event

    refused = await api.client.patch(url, json={"body": "hijack"}, headers=friend.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    for bad in ({"body": ""}, {"body": "x" * 8001}, {}):
        response = await api.client.patch(url, json=bad, headers=owner.headers)
        assert response.status_code == 422
    for index in (1, 99):  # not a message, no event
        response = await api.client.patch(
            f"/v1/chats/{chat_id}/messages/{index}", json={"body": "x"}, headers=owner.headers
        )
        assert response.status_code == 404


async def test_deleted_messages_are_never_served_again(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    file_id = (await upload(api.client, friend))["id"]
    message = await post(api.client, friend, chat_id, "oops", file_id=file_id)
    url = f"/v1/chats/{chat_id}/messages/{message['index']}"
    await api.client.patch(url, json={"body": "oops, secret"}, headers=friend.headers)

    deleted = await api.client.delete(url, headers=friend.headers)
    assert deleted.status_code == 204
    original, edit, deletion = await events(api.client, owner, chat_id, after=2)
    assert original["body"] is None
    assert original["file"] is None
    assert original["deleted_at"] is not None
    assert edit["type"] == "message_edited"
    assert edit["body"] is None
    assert deletion["type"] == "message_deleted"
    assert deletion["target_index"] == message["index"]
    assert deletion["profile_id"] == friend.profile_id
    assert "secret" not in str(await events(api.client, friend, chat_id))
    # Deleted with its message, the attachment is no longer the chat's to see.
    download = await api.client.get(f"/v1/files/{file_id}", headers=owner.headers)
    assert download.status_code == 404

    assert (await api.client.delete(url, headers=friend.headers)).status_code == 404
    assert (
        await api.client.patch(url, json={"body": "back"}, headers=friend.headers)
    ).status_code == 404
    reply = await api.client.post(
        f"/v1/chats/{chat_id}/messages",
        json={"body": "?", "reply_to": message["index"]},
        headers=owner.headers,
    )
    assert reply.status_code == 422


async def test_the_owner_may_delete_anyones_message_others_may_not(api: Api) -> None:
    owner, ann, bob = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann, bob)
    message = await post(api.client, ann, chat["id"], "spam")
    url = f"/v1/chats/{chat['id']}/messages/{message['index']}"
    refused = await api.client.delete(url, headers=bob.headers)
    assert refused.status_code == 403
    assert (await api.client.delete(url, headers=owner.headers)).status_code == 204
    (deletion,) = await events(api.client, bob, chat["id"], after=message["index"])
    assert deletion["profile_id"] == owner.profile_id


# --- idempotency ---------------------------------------------------------------------------


async def test_a_retried_post_returns_the_first_event(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    url = f"/v1/chats/{chat_id}/messages"
    headers = owner.headers | {"Idempotency-Key": "k-1"}

    first = await api.client.post(url, json={"body": "once"}, headers=headers)
    again = await api.client.post(url, json={"body": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other = await api.client.post(
        url, json={"body": "twice"}, headers=owner.headers | {"Idempotency-Key": "k-2"}
    )
    assert other.json()["index"] == first.json()["index"] + 1
    # Keys belong to one user: the same key from someone else is a new message.
    theirs = await api.client.post(
        url, json={"body": "mine"}, headers=friend.headers | {"Idempotency-Key": "k-1"}
    )
    assert theirs.json()["index"] == other.json()["index"] + 1
    log = await events(api.client, owner, chat_id, after=2)
    assert [e["body"] for e in log] == ["once", "twice", "mine"]
    oversized = await api.client.post(
        url, json={"body": "x"}, headers=owner.headers | {"Idempotency-Key": "k" * 201}
    )
    assert oversized.status_code == 422


async def test_concurrent_retries_post_once(api: Api) -> None:
    owner, _, chat_id = await pair(api)
    headers = owner.headers | {"Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *(
            api.client.post(f"/v1/chats/{chat_id}/messages", json={"body": "x"}, headers=headers)
            for _ in range(6)
        )
    )
    # Each retry either replays the first post or, while it still runs, answers 409.
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert 201 in statuses
    posted = {response.json()["index"] for response in responses if response.status_code == 201}
    assert len(posted) == 1
    assert len(await events(api.client, owner, chat_id, after=2)) == 1
    retried = await api.client.post(
        f"/v1/chats/{chat_id}/messages", json={"body": "x"}, headers=headers
    )
    assert (retried.status_code, retried.json()["index"]) == (201, *posted)


# --- read markers and unread counts --------------------------------------------------------


async def test_unread_counts_follow_the_read_marker(api: Api) -> None:
    """``unread_count`` counts the messages of others after my read marker (not deleted ones,
    nor reactions, pins, edits and deletions); writing an event reads up to it."""
    owner, friend, chat_id = await pair(api)
    assert (await chat_of(api, friend, chat_id))["unread_count"] == 0
    for n in range(3):
        await post(api.client, owner, chat_id, f"m{n}")
    mine = await post(api.client, friend, chat_id, "mine")
    kept = await post(api.client, owner, chat_id, "kept")
    deleted = await post(api.client, owner, chat_id, "gone")
    await api.client.delete(
        f"/v1/chats/{chat_id}/messages/{deleted['index']}", headers=owner.headers
    )
    reacted = await api.client.put(
        f"/v1/chats/{chat_id}/messages/{mine['index']}/reactions/%F0%9F%91%8D",
        headers=owner.headers,
    )
    assert reacted.status_code == 200, reacted.text
    pinned = await api.client.put(
        f"/v1/chats/{chat_id}/pins/{mine['index']}", headers=owner.headers
    )
    assert pinned.status_code == 200, pinned.text
    edited = await api.client.patch(
        f"/v1/chats/{chat_id}/messages/{kept['index']}",
        json={"body": "kept!"},
        headers=owner.headers,
    )
    assert edited.status_code == 200, edited.text
    last = kept["index"] + 5  # gone, its deletion, the reaction, the pin, the edit

    friend_view = await chat_of(api, friend, chat_id)
    assert (friend_view["read_index"], friend_view["last_event_index"]) == (mine["index"], last)
    assert friend_view["unread_count"] == 1  # "kept"
    owner_view = await chat_of(api, owner, chat_id)
    assert (owner_view["read_index"], owner_view["unread_count"]) == (last, 0)

    read = f"/v1/chats/{chat_id}/read"
    # Never backwards.
    response = await api.client.post(read, json={"index": 3}, headers=friend.headers)
    assert response.status_code == 204
    assert (await chat_of(api, friend, chat_id))["unread_count"] == 1
    response = await api.client.post(read, json={"index": kept["index"]}, headers=friend.headers)
    assert response.status_code == 204
    assert (await chat_of(api, friend, chat_id))["unread_count"] == 0
    await api.client.post(read, json={"index": last}, headers=friend.headers)
    listed = (await api.client.get("/v1/chats", headers=friend.headers)).json()["items"]
    assert (listed[0]["unread_count"], listed[0]["read_index"]) == (0, last)

    for bad in ({"index": last + 1}, {"index": -1}, {}):
        response = await api.client.post(read, json=bad, headers=friend.headers)
        assert response.status_code == 422, bad
    stranger = await api.user()
    response = await api.client.post(read, json={"index": 1}, headers=stranger.headers)
    assert response.status_code == 404


async def test_the_chat_list_carries_each_chats_newest_event(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    quiet = (await new_chat(api, owner, await chat_user(api)))["id"]

    def newest(listed: list[dict[str, Any]], chat: str) -> dict[str, Any]:
        last: dict[str, Any] = next(item for item in listed if item["id"] == chat)["last_event"]
        return last

    async def listed(user: TestUser) -> list[dict[str, Any]]:
        response = await api.client.get("/v1/chats", headers=user.headers)
        assert response.status_code == 200
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    # A chat without messages shows its newest event (the last join).
    assert newest(await listed(owner), quiet)["type"] == "member_joined"
    file_id = (await upload(api.client, friend))["id"]
    message = await post(api.client, friend, chat_id, "see attached", file_id=file_id)
    for user in (owner, friend):
        last = newest(await listed(user), chat_id)
        assert (last["index"], last["body"], last["file"]["id"]) == (
            message["index"],
            "see attached",
            file_id,
        )
    assert (await chat_of(api, owner, chat_id))["last_event"] == last
    # A deletion is the newest event then, and nothing of the message shows.
    url = f"/v1/chats/{chat_id}/messages/{message['index']}"
    assert (await api.client.delete(url, headers=friend.headers)).status_code == 204
    assert newest(await listed(owner), chat_id)["type"] == "message_deleted"
    assert "see attached" not in str(await listed(owner))


# --- pulling events ------------------------------------------------------------------------


async def test_events_come_in_pages(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    for n in range(5):
        await post(api.client, owner, chat_id, f"m{n}")
    url = f"/v1/chats/{chat_id}/events"
    page = (
        await api.client.get(url, params={"after": 2, "limit": 2}, headers=friend.headers)
    ).json()
    assert [e["index"] for e in page["events"]] == [3, 4]
    assert page["next_after"] == 4
    rest = (
        await api.client.get(url, params={"after": page["next_after"]}, headers=friend.headers)
    ).json()
    assert [e["index"] for e in rest["events"]] == [5, 6, 7]
    empty = (await api.client.get(url, params={"after": 7}, headers=friend.headers)).json()
    assert empty == {"events": [], "next_after": 7}
    for params in ({"limit": 0}, {"limit": 501}, {"wait": 31}, {"wait": -1}, {"after": -1}):
        response = await api.client.get(url, params=params, headers=friend.headers)
        assert response.status_code == 422, params


# "20" is served in front of the framework (chat/long_poll.py), "2e1" by the route.
@pytest.mark.parametrize("wait", ["20", "2e1"])
async def test_long_poll_returns_as_soon_as_an_event_arrives(api: Api, wait: str) -> None:
    owner, friend, chat_id = await pair(api)

    async def poll() -> tuple[float, httpx.Response]:
        started = time.monotonic()
        response = await api.client.get(
            f"/v1/chats/{chat_id}/events",
            params={"after": 2, "wait": wait},
            headers=friend.headers,
        )
        return time.monotonic() - started, response

    waiting = asyncio.create_task(poll())
    await asyncio.sleep(0.5)
    assert not waiting.done()
    # The waiting reader holds no transaction: this write goes through (on SQLite too).
    message = await post(api.client, owner, chat_id, "wake up")
    elapsed, response = await asyncio.wait_for(waiting, 10)
    assert response.status_code == 200
    assert response.json()["events"] == [message]
    assert elapsed < 5


async def test_long_poll_ends_empty_after_the_wait_and_ignores_other_chats(api: Api) -> None:
    owner, friend, chat_id = await pair(api)
    other = await new_chat(api, owner, friend, befriend=False)
    url = f"/v1/chats/{chat_id}/events"

    started = time.monotonic()
    at_once = await api.client.get(url, params={"after": 0, "wait": 20}, headers=owner.headers)
    assert len(at_once.json()["events"]) == 2
    assert time.monotonic() - started < 2

    waiting = asyncio.create_task(
        api.client.get(url, params={"after": 2, "wait": 1.5}, headers=friend.headers)
    )
    started = time.monotonic()
    await asyncio.sleep(0.3)
    await post(api.client, owner, other["id"], "elsewhere")
    response = await asyncio.wait_for(waiting, 10)
    assert response.status_code == 200
    assert response.json() == {"events": [], "next_after": 2}
    assert 1.4 <= time.monotonic() - started < 6


async def test_every_write_answers_with_the_event_as_stored(api: Api) -> None:
    """A post (reply, file), an invitation and an edit answer with the row the database wrote:
    the same event, field for field, that the log serves afterwards."""
    owner, friend, chat_id = await pair(api)
    third = await chat_user(api)
    await relate(api, owner, third)
    uploaded = await upload(api.client, owner, "minutes")
    question = await post(api.client, owner, chat_id, "lunch?", file_id=uploaded["id"])
    answer = await post(api.client, friend, chat_id, "yes", reply_to=question["index"])
    invited = await api.client.post(
        f"/v1/chats/{chat_id}/participants",
        json={"profile_id": third.profile_id},
        headers=owner.headers,
    )
    assert invited.status_code == 201, invited.text
    edited = await api.client.patch(
        f"/v1/chats/{chat_id}/messages/{answer['index']}",
        json={"body": "yes!"},
        headers=friend.headers,
    )
    assert edited.status_code == 200, edited.text
    stored = await events(api.client, owner, chat_id, after=2)
    assert [event["index"] for event in stored] == [3, 4, 5, 6]
    # The question became a thread's root since it was posted.
    assert stored[0] == question | {"reply_count": 1, "last_reply_at": answer["created_at"]}
    assert stored[1] == answer | {"body": "yes!", "edited_at": stored[1]["edited_at"]}
    assert stored[1]["edited_at"] == edited.json()["created_at"]
    assert stored[2:] == [invited.json(), edited.json()]
