"""Scheduled messages (issue 25, item 6): ``send_at`` on a post keeps it (202); its author
lists, edits and cancels it; the sweep sends each once, through the post's path, and cancels
one whose author left. The worker across a restart: ``tests/worker/test_scheduled_worker.py``."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from bca.backends import Backends
from bca.chat import scheduled
from bca.chat.models import ScheduledMessage
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, events, new_chat, upload


def at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def schedule(
    api: Api, user: TestUser, chat_id: str, body: str = "later", seconds: float = 3600, **extra: Any
) -> dict[str, Any]:
    response = await api.client.post(
        f"/v1/chats/{chat_id}/messages",
        json={"body": body, "send_at": at(seconds), **extra},
        headers=user.headers,
    )
    assert response.status_code == 202, response.text
    kept: dict[str, Any] = response.json()
    return kept


async def make_due(backends: Backends, *ids: str) -> None:
    """Move them a second into the past (the sweep sends what is due; the API refuses a past
    time, so the test moves it in the database)."""
    async with backends.database.transaction() as session:
        await session.execute(
            update(ScheduledMessage)
            .where(ScheduledMessage.id.in_([uuid.UUID(i) for i in ids]))
            .values(send_at=datetime.now(UTC) - timedelta(seconds=1))
        )


async def two_in_a_chat(api: Api) -> tuple[TestUser, TestUser, str]:
    ann, bob = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, ann, bob)
    return ann, bob, str(chat["id"])


async def test_a_post_with_send_at_is_kept_listed_edited_and_cancelled(api: Api) -> None:
    ann, bob, chat_id = await two_in_a_chat(api)
    before = await events(api.client, ann, chat_id)
    kept = await schedule(api, ann, chat_id, "good morning", seconds=600)
    assert kept["status"] == "scheduled"
    assert kept["chat_id"] == chat_id
    assert kept["profile_id"] == ann.profile_id
    assert kept["body"] == "good morning"
    assert kept["sent_index"] is None
    assert await events(api.client, ann, chat_id) == before  # nothing posted yet

    later = await schedule(api, ann, chat_id, "second", seconds=1200)
    listed = await api.client.get("/v1/scheduled-messages", headers=ann.headers)
    assert [item["id"] for item in listed.json()["items"]] == [kept["id"], later["id"]]
    in_chat = await api.client.get(
        "/v1/scheduled-messages", params={"chat_id": chat_id, "limit": 1}, headers=ann.headers
    )
    assert [item["id"] for item in in_chat.json()["items"]] == [kept["id"]]
    assert in_chat.json()["next_cursor"] is not None
    assert (await api.client.get("/v1/scheduled-messages", headers=bob.headers)).json()[
        "items"
    ] == []

    path = f"/v1/scheduled-messages/{kept['id']}"
    edited = await api.client.patch(
        path, json={"body": "good evening", "send_at": at(900)}, headers=ann.headers
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["body"] == "good evening"
    assert edited.json()["send_at"] > kept["send_at"]

    # Not Bob's: 404 to read, edit or cancel, as if it did not exist.
    assert (await api.client.get(path, headers=bob.headers)).status_code == 404
    assert (
        await api.client.patch(path, json={"body": "x"}, headers=bob.headers)
    ).status_code == 404
    assert (await api.client.delete(path, headers=bob.headers)).status_code == 404

    assert (await api.client.delete(path, headers=ann.headers)).status_code == 204
    cancelled = (await api.client.get(path, headers=ann.headers)).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "cancelled"
    assert (
        await api.client.patch(path, json={"body": "x"}, headers=ann.headers)
    ).status_code == 409
    pending = await api.client.get(
        "/v1/scheduled-messages", params={"status": "scheduled"}, headers=ann.headers
    )
    assert [item["id"] for item in pending.json()["items"]] == [later["id"]]


async def test_send_at_must_be_ahead_by_at_most_a_year_with_an_offset(api: Api) -> None:
    ann, _, chat_id = await two_in_a_chat(api)
    url = f"/v1/chats/{chat_id}/messages"
    for send_at in (
        at(-60),
        at(366 * 86400),
        (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat(),
        "soon",
    ):
        response = await api.client.post(
            url, json={"body": "x", "send_at": send_at}, headers=ann.headers
        )
        assert response.status_code == 422, (send_at, response.text)
    assert (await api.client.get("/v1/scheduled-messages", headers=ann.headers)).json()[
        "items"
    ] == []
    near_a_year = await api.client.post(
        url, json={"body": "x", "send_at": at(364 * 86400)}, headers=ann.headers
    )
    assert near_a_year.status_code == 202
    stranger = await chat_user(api)
    refused = await api.client.post(
        url, json={"body": "x", "send_at": at(60)}, headers=stranger.headers
    )
    assert refused.status_code == 404


async def test_the_sweep_sends_each_due_message_once_through_the_post_path(
    api: Api, backends: Backends
) -> None:
    ann, bob, chat_id = await two_in_a_chat(api)
    uploaded = await upload(api.client, ann)
    first = await schedule(api, ann, chat_id, "one", file_id=uploaded["id"])
    second = await schedule(api, ann, chat_id, "two")
    not_yet = await schedule(api, ann, chat_id, "not yet")
    await make_due(backends, first["id"], second["id"])

    # Two sweeps at once (two workers): each message is sent once.
    await asyncio.gather(scheduled.send_scheduled(backends), scheduled.send_scheduled(backends))
    await scheduled.send_scheduled(backends)

    posted = [e for e in await events(api.client, bob, chat_id) if e["type"] == "message"]
    assert [e["body"] for e in posted] == ["one", "two"]
    assert posted[0]["file"]["id"] == uploaded["id"]
    assert all(e["profile_id"] == ann.profile_id for e in posted)
    for kept, event in ((first, posted[0]), (second, posted[1])):
        now = (
            await api.client.get(f"/v1/scheduled-messages/{kept['id']}", headers=ann.headers)
        ).json()
        assert now["status"] == "sent"
        assert now["sent_index"] == event["index"]
    waiting = (
        await api.client.get(f"/v1/scheduled-messages/{not_yet['id']}", headers=ann.headers)
    ).json()
    assert waiting["status"] == "scheduled"
    # The author's read marker moved with the post, as with any post of theirs.
    chat = (await api.client.get(f"/v1/chats/{chat_id}", headers=ann.headers)).json()
    assert chat["read_index"] == posted[-1]["index"]
    assert (
        await api.client.delete(f"/v1/scheduled-messages/{first['id']}", headers=ann.headers)
    ).status_code == 409


async def test_a_message_whose_author_left_is_cancelled_with_a_reason(
    api: Api, backends: Backends
) -> None:
    ann, bob, carol = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, ann, bob, carol, title="team")
    chat_id = str(chat["id"])
    kept = await schedule(api, bob, chat_id, "bye")
    left = await api.client.delete(
        f"/v1/chats/{chat_id}/participants/{bob.profile_id}", headers=bob.headers
    )
    assert left.status_code == 204
    await make_due(backends, kept["id"])
    await scheduled.send_scheduled(backends)
    now = (await api.client.get(f"/v1/scheduled-messages/{kept['id']}", headers=bob.headers)).json()
    assert now["status"] == "cancelled"
    assert now["cancel_reason"] == "author_left"
    assert "bye" not in [e.get("body") for e in await events(api.client, ann, chat_id)]


async def test_a_post_refused_at_send_time_cancels_with_its_code(
    api: Api, backends: Backends
) -> None:
    ann, _, chat_id = await two_in_a_chat(api)
    target = (
        await api.client.post(
            f"/v1/chats/{chat_id}/messages", json={"body": "original"}, headers=ann.headers
        )
    ).json()
    kept = await schedule(api, ann, chat_id, "a reply", reply_to=target["index"])
    deleted = await api.client.delete(
        f"/v1/chats/{chat_id}/messages/{target['index']}", headers=ann.headers
    )
    assert deleted.status_code == 204
    await make_due(backends, kept["id"])
    await scheduled.send_scheduled(backends)
    now = (await api.client.get(f"/v1/scheduled-messages/{kept['id']}", headers=ann.headers)).json()
    assert now["status"] == "cancelled"
    assert now["cancel_reason"] == "validation_error"


async def test_a_retried_schedule_with_its_idempotency_key_keeps_one_message(api: Api) -> None:
    ann, _, chat_id = await two_in_a_chat(api)
    url = f"/v1/chats/{chat_id}/messages"
    body = {"body": "once", "send_at": at(600)}
    headers = {**ann.headers, "Idempotency-Key": "schedule-1"}
    first = await api.client.post(url, json=body, headers=headers)
    again = await api.client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    other = await api.client.post(url, json={**body, "body": "twice"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    listed = (await api.client.get("/v1/scheduled-messages", headers=ann.headers)).json()
    assert [item["body"] for item in listed["items"]] == ["once"]
