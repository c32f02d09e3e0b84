"""Snapshot schema versions: a client that names the version it reads learns when the server
writes another (406 ``schema_unsupported``: update the app), the version travels in the
``BCA-Sync-Schema`` header, and a file stored in an older schema (written before an upgrade)
is rebuilt, never served."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bca.backends import Backends
from bca.sync.models import Snapshot
from bca.sync.snapshots import SCHEMA_VERSION
from tests.factories.accounts import Api
from tests.factories.sync import fetch_snapshot, meta, open_copy


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"sync_snapshot_debounce_seconds": 0}


async def test_a_client_of_another_schema_is_told_to_update(
    api: Api, client: httpx.AsyncClient, backends: Backends
) -> None:
    alice = await api.user()
    ready = await fetch_snapshot(client, backends, alice)
    assert ready.status_code == 200
    assert ready.headers["BCA-Sync-Schema"] == str(SCHEMA_VERSION)

    for method in ("GET", "HEAD"):
        old = await client.request(
            method,
            "/v1/sync/snapshot",
            params={"schema_version": SCHEMA_VERSION - 1},
            headers=alice.headers,
        )
        assert old.status_code == 406
        if method == "GET":
            assert old.json()["code"] == "schema_unsupported"
            assert str(SCHEMA_VERSION) in old.json()["detail"]
    same = await client.get(
        "/v1/sync/snapshot", params={"schema_version": SCHEMA_VERSION}, headers=alice.headers
    )
    assert same.status_code == 200
    assert same.content == ready.content
    for bad in ("0", "five", "-4", "99999999999"):
        response = await client.get(
            "/v1/sync/snapshot", params={"schema_version": bad}, headers=alice.headers
        )
        assert response.status_code == 422, bad


async def test_a_file_of_an_older_schema_is_rebuilt_not_served(
    api: Api, client: httpx.AsyncClient, backends: Backends
) -> None:
    alice = await api.user()
    first = await fetch_snapshot(client, backends, alice)
    assert first.status_code == 200
    # What an upgrade finds: the pointer row of a file written by the previous version.
    async with backends.database.transaction() as session:
        await session.execute(
            update(Snapshot)
            .where(Snapshot.user_id == uuid.UUID(alice.id))
            .values(schema_version=SCHEMA_VERSION - 1)
        )
    stale = await client.get("/v1/sync/snapshot", headers=alice.headers)
    assert stale.status_code == 202
    rebuilt = await fetch_snapshot(client, backends, alice)
    assert rebuilt.status_code == 200
    assert rebuilt.headers["ETag"] != first.headers["ETag"]
    assert meta(open_copy(rebuilt.content))["schema_version"] == SCHEMA_VERSION
