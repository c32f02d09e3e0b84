"""Whose X-Forwarded-For is believed (BCA_TRUSTED_PROXIES), and who may read /metrics.

The test client's peer address is 127.0.0.1, as a local process's or a proxy's would be.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bca.core.ratelimit import AVAILABILITY_PER_ADDRESS
from bca.settings import SettingsError, load_settings
from tests.conftest import make_client
from tests.fixtures.servers import Server

TOKEN = "metrics-token-" + "m" * 24


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    overrides: dict[str, Any] = {"rate_limit_enabled": True}
    if "trusted" in request.node.name:
        overrides["trusted_proxies"] = "10.0.0.0/8, 127.0.0.1"
    if "token" in request.node.name:
        overrides["metrics_token"] = TOKEN
    return overrides


async def probes(client: httpx.AsyncClient, forwarded_for: Callable[[int], str]) -> list[int]:
    """Availability probes, each claiming another client address."""
    return [
        (
            await client.get(
                "/v1/auth/availability",
                params={"username": f"probe{n}"},
                headers={"X-Forwarded-For": forwarded_for(n)},
            )
        ).status_code
        for n in range(AVAILABILITY_PER_ADDRESS.requests + 1)
    ]


async def test_forwarded_addresses_are_ignored_by_default(client: httpx.AsyncClient) -> None:
    statuses = await probes(client, lambda n: f"198.51.100.{n}")
    assert statuses[-1] == 429, "X-Forwarded-For chose the rate limit's address"


async def test_a_trusted_proxy_names_the_client(client: httpx.AsyncClient) -> None:
    assert await probes(client, lambda n: f"198.51.100.{n}") == [200] * (
        AVAILABILITY_PER_ADDRESS.requests + 1
    )
    # The rightmost address that is not a trusted proxy's counts; the client cannot prepend one.
    statuses = await probes(client, lambda n: f"203.0.113.{n}, 198.51.100.7, 10.1.2.3")
    assert statuses[-1] == 429


async def test_metrics_are_served_to_loopback(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "bca_http_requests_total" in response.text


async def test_metrics_are_hidden_from_others_behind_a_trusted_proxy(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.1"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_metrics_token_opens_them_to_others_behind_a_trusted_proxy(
    client: httpx.AsyncClient,
) -> None:
    remote = {"X-Forwarded-For": "198.51.100.1"}
    assert (await client.get("/metrics", headers=remote)).status_code == 404
    wrong = remote | {"Authorization": "Bearer " + "x" * len(TOKEN)}
    assert (await client.get("/metrics", headers=wrong)).status_code == 404
    right = remote | {"Authorization": f"Bearer {TOKEN}"}
    response = await client.get("/metrics", headers=right)
    assert response.status_code == 200
    assert "bca_http_requests_total" in response.text


async def test_metrics_allow_list_can_exclude_loopback(backends: Any) -> None:
    backends.settings.metrics_allow = "192.0.2.0/24"
    async with make_client(backends) as client:
        assert (await client.get("/metrics")).status_code == 404


def test_bad_networks_are_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings(trusted_proxies="10.0.0.0/8,not-an-address")


@pytest.mark.timeout(300)  # a server start on a busy machine
def test_bca_serve_does_not_trust_forwarded_headers_from_localhost(
    bca_server: Callable[..., Server], tmp_path: Path
) -> None:
    """uvicorn alone would believe X-Forwarded-For from 127.0.0.1, and /metrics would then see
    a remote client (one server start: 5 s, up to 30 s on a busy machine)."""
    server = bca_server(
        {
            "BCA_SECRET_KEY": "live-server-secret-" + "s" * 32,
            "BCA_DATA_DIR": str(tmp_path / "var"),
            "BCA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'live.db'}",
        },
        timeout=120,
    )
    metrics = httpx.get(
        f"{server.url}/metrics", headers={"X-Forwarded-For": "198.51.100.1"}, timeout=30
    )
    assert metrics.status_code == 200  # the peer is loopback, whatever the header claims
