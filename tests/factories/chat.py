"""Factories for chat tests: users with their first profile, relations, chats, messages, files."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.factories.accounts import Api, TestUser


async def first_profile_id(client: httpx.AsyncClient, user: TestUser) -> str:
    response = await client.get("/v1/profiles", headers=user.headers)
    assert response.status_code == 200, response.text
    profile_id: str = response.json()["items"][0]["id"]
    return profile_id


async def chat_user(api: Api, **fields: Any) -> TestUser:
    """A verified, signed-in user whose ``profile_id`` is their first profile."""
    user = await api.user(**fields)
    user.profile_id = await first_profile_id(api.client, user)
    return user


async def relate(api: Api, source: TestUser, target: TestUser, status: str = "follow") -> None:
    """``source``'s profile follows (hides, blocks) ``target``'s, through the relations API."""
    response = await api.client.put(
        f"/v1/profiles/{source.profile_id}/relations/{target.profile_id}",
        json={"status": status},
        headers=source.headers,
    )
    assert response.status_code == 200, response.text


async def followed_by(api: Api, owner: TestUser, *others: TestUser) -> None:
    """Each of ``others`` follows ``owner``: the owner may invite them all."""
    for other in others:
        await relate(api, other, owner)


async def new_chat(
    api: Api,
    owner: TestUser,
    *members: TestUser,
    title: str | None = None,
    direct: bool = False,
    befriend: bool = True,
) -> dict[str, Any]:
    if befriend:
        await followed_by(api, owner, *members)
    body: dict[str, Any] = {
        "profile_id": owner.profile_id,
        "participant_ids": [member.profile_id for member in members],
        "direct": direct,
    }
    if title is not None:
        body["title"] = title
    response = await api.client.post("/v1/chats", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    chat: dict[str, Any] = response.json()
    return chat


async def post(
    client: httpx.AsyncClient, user: TestUser, chat_id: str, body: str = "hello", **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/chats/{chat_id}/messages", json={"body": body, **fields}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


async def events(
    client: httpx.AsyncClient, user: TestUser, chat_id: str, after: int = 0
) -> list[dict[str, Any]]:
    """Every event after ``after``, following ``next_after`` through the pages."""
    collected: list[dict[str, Any]] = []
    while True:
        response = await client.get(
            f"/v1/chats/{chat_id}/events",
            params={"after": after, "limit": 500},
            headers=user.headers,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        collected += page["events"]
        if len(page["events"]) < 500:
            return collected
        after = page["next_after"]


async def long_poll_woken_by(
    client: httpx.AsyncClient,
    receiver: TestUser,
    chat_id: str,
    after: int,
    *,
    poster: TestUser,
    body: str,
    poster_client: httpx.AsyncClient | None = None,
) -> dict[str, Any]:
    """The page of a long-poll from ``after`` that a post (through ``poster_client``, the same
    client by default) wakes; it holds just that post."""
    waiting = asyncio.create_task(
        client.get(
            f"/v1/chats/{chat_id}/events",
            params={"after": after, "wait": 10},
            headers=receiver.headers,
        )
    )
    await asyncio.sleep(0.3)
    await post(poster_client or client, poster, chat_id, body)
    response = await waiting
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert [event["body"] for event in page["events"]] == [body]
    return page


async def upload(
    client: httpx.AsyncClient, owner: TestUser, text: str = "minutes of the meeting"
) -> dict[str, Any]:
    """A chat attachment uploaded through the files API (a UTF-8 text file)."""
    response = await client.post(
        "/v1/files",
        files={"file": ("notes.txt", text.encode(), "text/plain")},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    uploaded: dict[str, Any] = response.json()
    return uploaded
