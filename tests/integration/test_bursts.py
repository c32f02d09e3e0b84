"""Bursts wait, they don't fail: one ``bca serve`` on PostgreSQL and Redis, many clients at once.

Both pools (database connections, Redis connections) are far smaller than the burst, so every
request beyond them has to wait its turn; none may fail for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from bca.settings import Settings
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.fixtures.servers import Server, shared_stack_environment

BURST = 200


@pytest.fixture
def stack() -> str:
    return "postgres"


@pytest.fixture
def server(bca_server: Callable[..., Server], settings: Settings, tmp_path: Path) -> Server:
    extra = {
        "BCA_RATE_LIMIT_ENABLED": "false",
        "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
        "BCA_DATABASE_POOL_SIZE": "5",
    }
    return bca_server(shared_stack_environment(settings, tmp_path / "var", extra))


async def _signed_in(client: httpx.AsyncClient, name: str) -> str:
    body = {"email": f"{name}@example.com", "username": name, "password": DEFAULT_PASSWORD}
    assert (await client.post("/v1/auth/signup", json=body)).status_code == 201
    response = await client.post(
        "/v1/auth/signin", json={"login": name, "password": body["password"]}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_concurrent_authenticated_requests_all_succeed(server: Server) -> None:
    limits = httpx.Limits(max_connections=BURST)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
        token = await _signed_in(client, "bursty")
        headers = {"Authorization": f"Bearer {token}"}
        responses = await asyncio.gather(
            *(client.get("/v1/chats", headers=headers) for _ in range(BURST))
        )
    assert [response.status_code for response in responses] == [200] * BURST


async def test_concurrent_websocket_handshakes_all_succeed(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        token = await _signed_in(client, "socketeer")
    url = server.url.replace("http://", "ws://") + f"/v1/ws?access_token={token}"

    async def handshake() -> str:
        async with connect(url, open_timeout=60) as ws:
            frame = await ws.recv()
            return str(frame)

    frames = await asyncio.gather(*(handshake() for _ in range(BURST)))
    assert all('"type": "ready"' in frame for frame in frames), frames[:3]
