"""Two real ``bca serve`` processes sharing PostgreSQL and Redis: what is written through one
reaches WebSocket clients and long-polls of the other, in order, and a revocation on one closes
sockets on the other."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bca.backends import Backends
from bca.settings import Settings
from tests.factories.accounts import DEFAULT_PASSWORD, TestUser
from tests.factories.chat import first_profile_id
from tests.fixtures.servers import Server

pytestmark = [pytest.mark.parametrize("stack", ["postgres"]), pytest.mark.timeout(180)]


@pytest.fixture
def servers(settings: Settings, backends: Backends, bca_server: Callable[..., Server]) -> list[str]:
    """Two instances; ``backends`` comes first so that the database and Redis start empty."""
    assert settings.database_url
    assert settings.redis_url
    assert settings.secret_key
    env = {
        "BCA_MODE": "production",
        "BCA_DATABASE_URL": settings.database_url,
        "BCA_REDIS_URL": settings.redis_url,
        "BCA_SECRET_KEY": settings.secret_key,
        "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
        "BCA_RATE_LIMIT_ENABLED": "false",
        "BCA_MAIL_BACKEND": "off",
        "BCA_LOG_LEVEL": "WARNING",
    }
    return [bca_server(env).url, bca_server(env).url]


async def sign_up(client: httpx.AsyncClient, name: str) -> TestUser:
    body = {"email": f"{name}@example.com", "username": name, "password": DEFAULT_PASSWORD}
    created = await client.post("/v1/auth/signup", json=body)
    assert created.status_code == 201, created.text
    tokens = await client.post(
        "/v1/auth/signin", json={"login": name, "password": DEFAULT_PASSWORD}
    )
    assert tokens.status_code == 200, tokens.text
    data = tokens.json()
    user = TestUser(
        id=data["user"]["id"],
        email=body["email"],
        username=name,
        password=DEFAULT_PASSWORD,
        access_token=data["access_token"],
        refresh_token=data["refresh_token"],
        session_id=data["session_id"],
    )
    user.profile_id = await first_profile_id(client, user)
    return user


async def ready_socket(server: str, user: TestUser) -> ClientConnection:
    ws = await connect(
        server.replace("http://", "ws://") + f"/v1/ws?access_token={user.access_token}"
    )
    hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert hello["type"] == "ready"
    return ws


async def receive(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


@pytest.fixture
async def clients(servers: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    first = httpx.AsyncClient(base_url=servers[0], timeout=30)
    second = httpx.AsyncClient(base_url=servers[1], timeout=30)
    async with first, second:
        yield [first, second]


async def test_events_written_on_one_instance_reach_sockets_on_the_other_in_order(
    servers: list[str], clients: list[httpx.AsyncClient]
) -> None:
    one, two = clients
    ann = await sign_up(two, "ann")
    bob = await sign_up(one, "bob")
    follow = await two.put(
        f"/v1/profiles/{bob.profile_id}/relations/{ann.profile_id}",
        json={"status": "follow"},
        headers=bob.headers,
    )
    assert follow.status_code == 200, follow.text

    bobs_socket = await ready_socket(servers[0], bob)
    anns_socket = await ready_socket(servers[1], ann)
    try:
        created = await two.post(
            "/v1/chats",
            json={"profile_id": ann.profile_id, "participant_ids": [bob.profile_id]},
            headers=ann.headers,
        )
        assert created.status_code == 201, created.text
        chat_id = created.json()["id"]
        posted = []
        for n in range(20):
            response = await two.post(
                f"/v1/chats/{chat_id}/messages", json={"body": f"m{n}"}, headers=ann.headers
            )
            assert response.status_code == 201, response.text
            posted.append(response.json())

        received = [await receive(bobs_socket) for _ in range(22)]
        assert [message["type"] for message in received] == ["event"] * 22
        events = [message["event"] for message in received]
        assert [event["index"] for event in events] == list(range(1, 23))
        assert events[2:] == posted

        # And the other way round: bob writes on instance one, ann reads on instance two.
        reply = await one.post(
            f"/v1/chats/{chat_id}/messages", json={"body": "got them"}, headers=bob.headers
        )
        anns = [await receive(anns_socket) for _ in range(23)]
        assert anns[-1] == {"type": "event", "event": reply.json()}
    finally:
        await bobs_socket.close()
        await anns_socket.close()


async def test_long_polls_and_revocations_cross_instances(
    servers: list[str], clients: list[httpx.AsyncClient]
) -> None:
    one, two = clients
    ann = await sign_up(two, "ann")
    bob = await sign_up(one, "bob")
    await two.put(
        f"/v1/profiles/{bob.profile_id}/relations/{ann.profile_id}",
        json={"status": "follow"},
        headers=bob.headers,
    )
    created = await two.post(
        "/v1/chats",
        json={"profile_id": ann.profile_id, "participant_ids": [bob.profile_id]},
        headers=ann.headers,
    )
    chat_id = created.json()["id"]

    waiting = asyncio.create_task(
        one.get(f"/v1/chats/{chat_id}/events", params={"after": 2, "wait": 20}, headers=bob.headers)
    )
    await asyncio.sleep(0.5)
    started = time.monotonic()
    message = await two.post(
        f"/v1/chats/{chat_id}/messages", json={"body": "wake"}, headers=ann.headers
    )
    polled = await asyncio.wait_for(waiting, 15)
    assert polled.status_code == 200
    assert polled.json()["events"] == [message.json()]
    assert time.monotonic() - started < 5

    bobs_socket = await ready_socket(servers[0], bob)
    signed_out = await two.post("/v1/auth/signout", headers=bob.headers)
    assert signed_out.status_code == 204
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(bobs_socket.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
