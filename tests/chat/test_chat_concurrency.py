"""The event index under concurrent writers: exactly one index per event, no gaps, no duplicates.

Every writer has its own HTTP client (and so its own requests and database sessions), all
running at once against the app on the real database of the stack.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bca.backends import Backends
from tests.conftest import make_client
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, events, new_chat, relate


async def flood(
    backends: Backends, writers: list[TestUser], chat_id: str, per_writer: int
) -> list[int]:
    """Each writer posts ``per_writer`` messages in a row; all writers at once."""

    async def write(writer: TestUser) -> list[int]:
        indexes = []
        async with make_client(backends) as client:
            for n in range(per_writer):
                response = await client.post(
                    f"/v1/chats/{chat_id}/messages",
                    json={"body": f"{writer.username} {n}"},
                    headers=writer.headers,
                )
                assert response.status_code == 201, response.text
                indexes.append(response.json()["index"])
        return indexes

    results = await asyncio.gather(*(write(writer) for writer in writers))
    for indexes in results:
        assert indexes == sorted(indexes), "one writer's own messages came out of order"
    return [index for indexes in results for index in indexes]


async def group(api: Api, size: int) -> tuple[list[TestUser], dict[str, Any]]:
    users = [await chat_user(api) for _ in range(size)]
    chat = await new_chat(api, users[0], *users[1:])
    return users, chat


def assert_gapless(log: list[dict[str, Any]], total: int) -> None:
    assert [event["index"] for event in log] == list(range(1, total + 1))


@pytest.mark.parametrize("stack", ["postgres"])
async def test_20_writers_x_25_messages_on_postgresql(api: Api, backends: Backends) -> None:
    writers, chat = await group(api, 20)
    posted = await flood(backends, writers, chat["id"], per_writer=25)

    joins = 20
    assert sorted(posted) == list(range(joins + 1, joins + 500 + 1))
    log = await events(api.client, writers[0], chat["id"])
    assert_gapless(log, joins + 500)
    messages = [event for event in log if event["type"] == "message"]
    assert [event["index"] for event in messages] == list(range(joins + 1, joins + 501))
    # Every message is there once, with its own body.
    assert len({event["body"] for event in messages}) == 500
    seen = (await api.client.get(f"/v1/chats/{chat['id']}", headers=writers[1].headers)).json()
    assert seen["last_event_index"] == joins + 500
    # Posting reads up to one's own message: the rest are unread.
    own_last = max(
        event["index"] for event in messages if event["profile_id"] == seen["my_profile_id"]
    )
    assert seen["read_index"] == own_last
    assert seen["unread_count"] == joins + 500 - own_last


@pytest.mark.parametrize("stack", ["sqlite"])
async def test_concurrent_writers_on_sqlite(api: Api, backends: Backends) -> None:
    writers, chat = await group(api, 5)
    posted = await flood(backends, writers, chat["id"], per_writer=8)
    assert sorted(posted) == list(range(6, 6 + 40))
    assert_gapless(await events(api.client, writers[0], chat["id"]), 5 + 40)


async def test_every_kind_of_writer_at_once_keeps_the_log_gapless(
    api: Api, backends: Backends
) -> None:
    """Messages, edits, deletions, renames, invitations and departures racing each other."""
    owner, *others = [await chat_user(api) for _ in range(6)]
    members, joiners = others[:3], others[3:]
    chat = await new_chat(api, owner, *members)
    for joiner in joiners:
        await relate(api, joiner, owner)
    chat_id = chat["id"]
    url = f"/v1/chats/{chat_id}"
    first = await api.client.post(
        f"{url}/messages", json={"body": "to edit"}, headers=members[0].headers
    )
    second = await api.client.post(
        f"{url}/messages", json={"body": "to delete"}, headers=members[1].headers
    )

    async def as_client(call: Any) -> int:
        async with make_client(backends) as client:
            response = await call(client)
            return int(response.status_code)

    calls = [
        *(
            (
                lambda c, n=n: c.post(
                    f"{url}/messages", json={"body": f"m{n}"}, headers=owner.headers
                )
            )
            for n in range(6)
        ),
        lambda c: c.patch(
            f"{url}/messages/{first.json()['index']}",
            json={"body": "edited"},
            headers=members[0].headers,
        ),
        lambda c: c.delete(f"{url}/messages/{second.json()['index']}", headers=members[1].headers),
        lambda c: c.patch(url, json={"title": "busy"}, headers=owner.headers),
        *(
            (
                lambda c, j=j: c.post(
                    f"{url}/participants", json={"profile_id": j.profile_id}, headers=owner.headers
                )
            )
            for j in joiners
        ),
        lambda c: c.delete(
            f"{url}/participants/{members[2].profile_id}", headers=members[2].headers
        ),
        lambda c: c.post(f"{url}/read", json={"index": 3}, headers=members[0].headers),
    ]
    statuses = await asyncio.gather(*(as_client(call) for call in calls))
    assert all(status in (200, 201, 204) for status in statuses), statuses

    log = await events(api.client, owner, chat_id)
    expected_total = 4 + 2 + 6 + 1 + 1 + 1 + len(joiners) + 1
    assert_gapless(log, expected_total)
    seen = await api.client.get(url, headers=owner.headers)
    assert seen.json()["last_event_index"] == expected_total


async def test_refused_posts_do_not_hold_up_the_chat(api: Api) -> None:
    """Posters to one chat queue in the process until the one before them commits or rolls
    back: refused posts (not a participant, a reply to nothing) must leave that queue."""
    owner, member, stranger = [await chat_user(api) for _ in range(3)]
    chat = await new_chat(api, owner, member)
    url = f"/v1/chats/{chat['id']}/messages"
    refused = await api.client.post(url, json={"body": "let me in"}, headers=stranger.headers)
    assert refused.status_code == 404
    bad_reply = await api.client.post(
        url, json={"body": "re", "reply_to": 999}, headers=member.headers
    )
    assert bad_reply.status_code == 422
    posted = await asyncio.wait_for(
        api.client.post(url, json={"body": "still open"}, headers=member.headers), 10
    )
    assert posted.status_code == 201, posted.text
