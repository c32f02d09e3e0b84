"""Long-polls served in front of the framework (``chat.long_poll``) answer exactly as the
route does, and leave every request they do not serve to it; a long-poll from the newest event
the hub relayed waits without reading, yet loses no event and outlives no departure or
revocation."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bca.settings import Settings
from tests.conftest import second_instance
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, long_poll_woken_by, new_chat, post


async def test_a_long_poll_answers_as_the_route_does(api: Api) -> None:
    owner, member = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, member)
    url = f"/v1/chats/{chat['id']}/events"
    await post(api.client, owner, chat["id"], "first")
    await post(api.client, member, chat["id"], "second")

    routed = await api.client.get(url, params={"after": 1, "limit": 2}, headers=member.headers)
    polled = await api.client.get(
        url, params={"after": 1, "limit": 2, "wait": 5}, headers=member.headers
    )
    assert polled.status_code == routed.status_code == 200
    assert polled.json() == routed.json()
    assert [event["body"] for event in polled.json()["events"]] == [None, "first"]
    assert polled.headers["content-type"] == routed.headers["content-type"]
    assert "x-request-id" in polled.headers

    metrics = await api.client.get("/metrics")
    assert 'route="/v1/chats/{chat_id}/events",status="200"' in metrics.text


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("wait=abc", 422),
        ("wait=31", 422),
        ("wait=1&after=-1", 422),
        ("wait=1&limit=0", 422),
        ("wait=1&limit=501", 422),
        ("wait=-1", 422),
        ("wait=1&after=2147483648", 422),
    ],
)
async def test_malformed_long_polls_get_the_routes_answer(
    api: Api, query: str, status: int
) -> None:
    owner, member = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, member)
    response = await api.client.get(
        f"/v1/chats/{chat['id']}/events?{query}", headers=member.headers
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_refused_long_polls_get_the_routes_answer(api: Api) -> None:
    owner, member, stranger = [await chat_user(api) for _ in range(3)]
    chat = await new_chat(api, owner, member)
    url = f"/v1/chats/{chat['id']}/events?wait=1"
    refusals = {
        "no token": (await api.client.get(url), 401),
        "bad token": (await api.client.get(url, headers={"Authorization": "Bearer x.y.z"}), 401),
        "stranger": (await api.client.get(url, headers=stranger.headers), 404),
        "no chat": (
            await api.client.get(
                "/v1/chats/00000000-0000-4000-8000-000000000000/events?wait=1",
                headers=member.headers,
            ),
            404,
        ),
    }
    for case, (response, status) in refusals.items():
        assert response.status_code == status, case
        assert response.headers["content-type"] == "application/problem+json", case


async def woken_page(
    api: Api, chat_id: str, receiver: TestUser, poster: TestUser
) -> dict[str, Any]:
    """A long-poll from the chat's newest event, woken by a post: the hub relayed that post."""
    url = f"/v1/chats/{chat_id}/events"
    last = (await api.client.get(url, headers=receiver.headers)).json()["next_after"]
    return await long_poll_woken_by(
        api.client, receiver, chat_id, last, poster=poster, body="relayed"
    )


async def test_an_event_whose_publish_was_lost_arrives_when_the_wait_ends(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-poll from the newest event the hub relayed waits without reading; when the wait
    ends, it reads once, so an event whose writer died before publishing it is late, not lost."""
    owner, member = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, member)
    url = f"/v1/chats/{chat['id']}/events"
    page = await woken_page(api, chat["id"], member, owner)
    async with second_instance(settings) as (other, client):
        monkeypatch.setattr(other.cache, "publish", lambda *_: asyncio.sleep(0))
        await post(client, owner, chat["id"], "unannounced")

    started = time.monotonic()
    response = await api.client.get(
        url, params={"after": page["next_after"], "wait": 1}, headers=member.headers
    )
    assert [event["body"] for event in response.json()["events"]] == ["unannounced"]
    assert time.monotonic() - started >= 0.9, "it should have waited: nothing was announced"


async def test_who_left_with_the_newest_event_is_refused_at_once(api: Api) -> None:
    owner, member, leaver = [await chat_user(api) for _ in range(3)]
    chat = await new_chat(api, owner, member, leaver)
    url = f"/v1/chats/{chat['id']}/events"
    last = (await api.client.get(url, headers=member.headers)).json()["next_after"]
    waiting = asyncio.create_task(
        api.client.get(url, params={"after": last, "wait": 10}, headers=member.headers)
    )
    await asyncio.sleep(0.3)
    left = await api.client.delete(
        f"/v1/chats/{chat['id']}/participants/{leaver.profile_id}", headers=leaver.headers
    )
    assert left.status_code == 204, left.text
    departure = (await waiting).json()["next_after"]  # relayed to the leaver too

    started = time.monotonic()
    response = await api.client.get(
        url, params={"after": departure, "wait": 5}, headers=leaver.headers
    )
    assert response.status_code == 404
    assert time.monotonic() - started < 4, "the departure should not count as taking part"


async def test_a_revoked_sessions_long_poll_is_refused_at_once(api: Api) -> None:
    owner, member = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, member)
    url = f"/v1/chats/{chat['id']}/events"
    page = await woken_page(api, chat["id"], member, owner)  # its session was just found live
    signed_out = await api.client.post("/v1/auth/signout", headers=member.headers)
    assert signed_out.status_code == 204, signed_out.text
    response = await api.client.get(
        url, params={"after": page["next_after"], "wait": 5}, headers=member.headers
    )
    assert response.status_code == 401
