"""Long-polls served in front of the framework (``chat.long_poll``) answer exactly as the
route does, and leave every request they do not serve to it."""

from __future__ import annotations

import pytest

from tests.factories.accounts import Api
from tests.factories.chat import chat_user, new_chat, post


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
