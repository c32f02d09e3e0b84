"""Sync through the HTTP API: the change log by cursor, visibility, and snapshot files."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select

from bca.backends import Backends
from bca.sync import repository
from bca.sync.models import Change, HeldEntity, Snapshot
from bca.sync.snapshots import SCHEMA_VERSION
from tests.factories.accounts import Api, TestUser
from tests.factories.cards import FULL_PROFILE_FIELDS
from tests.factories.sync import (
    changes_since,
    client_apply,
    fetch_snapshot,
    meta,
    open_copy,
    tables,
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"sync_snapshot_debounce_seconds": 0}


async def first_profile(client: httpx.AsyncClient, user: TestUser) -> str:
    response = await client.get("/v1/profiles", headers=user.headers)
    assert response.status_code == 200, response.text
    profile_id: str = response.json()["items"][0]["id"]
    user.profile_id = profile_id
    return profile_id


async def relate(
    client: httpx.AsyncClient, user: TestUser, me: str, target: str, status: str
) -> dict[str, Any]:
    response = await client.put(
        f"/v1/profiles/{me}/relations/{target}", json={"status": status}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_key(changes: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(change["entity"], change["id"]): change for change in changes}


async def test_new_user_sees_own_profile_then_nothing_new(
    api: Api, client: httpx.AsyncClient
) -> None:
    alice = await api.user()
    profile_id = await first_profile(client, alice)

    changes, cursor = await changes_since(client, alice)

    assert [(c["entity"], c["op"], c["id"]) for c in changes] == [("profile", "upsert", profile_id)]
    data = changes[0]["data"]
    assert data["mine"] is True
    assert data["id"] == profile_id
    assert set(data) == FULL_PROFILE_FIELDS
    again, same = await changes_since(client, alice, cursor)
    assert again == []
    assert same == cursor


async def test_requires_authentication(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/sync/changes")).status_code == 401
    assert (await client.get("/v1/sync/snapshot")).status_code == 401


async def test_follow_shows_profile_and_relation_to_both(
    api: Api, client: httpx.AsyncClient
) -> None:
    alice, bob = await api.user(), await api.user()
    a, b = await first_profile(client, alice), await first_profile(client, bob)
    _, alice_cursor = await changes_since(client, alice)
    _, bob_cursor = await changes_since(client, bob)

    await relate(client, alice, a, b, "follow")

    alice_changes = by_key((await changes_since(client, alice, alice_cursor))[0])
    assert alice_changes[("relation", f"{a}:{b}")]["data"]["status"] == "follow"
    assert alice_changes[("profile", b)]["data"]["mine"] is False
    bob_changes = by_key((await changes_since(client, bob, bob_cursor))[0])
    assert bob_changes[("relation", f"{a}:{b}")]["op"] == "upsert"
    assert bob_changes[("profile", a)]["op"] == "upsert"
    # Nobody hears of the reverse relation, which never existed.
    assert ("relation", f"{b}:{a}") not in alice_changes
    assert ("relation", f"{b}:{a}") not in bob_changes


async def test_private_profile_is_a_summary_until_the_follow_is_accepted(
    api: Api, client: httpx.AsyncClient
) -> None:
    alice, bob = await api.user(), await api.user()
    a, b = await first_profile(client, alice), await first_profile(client, bob)
    response = await client.patch(f"/v1/profiles/{b}", json={"private": True}, headers=bob.headers)
    assert response.status_code == 200, response.text
    _, cursor = await changes_since(client, alice)

    relation = await relate(client, alice, a, b, "follow")
    assert relation["status"] == "follow_requested"
    changes = by_key((await changes_since(client, alice, cursor))[0])
    assert changes[("profile", b)]["data"] == {
        "id": b,
        "name": changes[("profile", b)]["data"]["name"],
        "image_url": None,
        "private": True,
    }
    cursor = (await changes_since(client, alice, cursor))[1]

    accepted = await client.post(f"/v1/profiles/{b}/followers/{a}/accept", headers=bob.headers)
    assert accepted.status_code == 204, accepted.text
    changes = by_key((await changes_since(client, alice, cursor))[0])
    assert changes[("profile", b)]["data"]["mine"] is False
    assert "team_name" in changes[("profile", b)]["data"]
    assert changes[("relation", f"{a}:{b}")]["data"]["status"] == "follow"


async def test_block_removes_sight_both_ways_and_hides_the_block(
    api: Api, client: httpx.AsyncClient
) -> None:
    alice, bob = await api.user(), await api.user()
    a, b = await first_profile(client, alice), await first_profile(client, bob)
    await relate(client, alice, a, b, "follow")
    card = await client.post(f"/v1/profiles/{b}/cards", json={"name": "Work"}, headers=bob.headers)
    assert card.status_code == 201, card.text
    card_id = card.json()["id"]
    _, alice_cursor = await changes_since(client, alice)
    alice_before = by_key((await changes_since(client, alice))[0])
    assert alice_before[("card", card_id)]["op"] == "upsert"
    _, bob_cursor = await changes_since(client, bob)

    await relate(client, bob, b, a, "block")

    alice_changes = by_key((await changes_since(client, alice, alice_cursor))[0])
    assert alice_changes[("profile", b)]["op"] == "delete"
    assert alice_changes[("card", card_id)]["op"] == "delete"
    assert alice_changes[("relation", f"{a}:{b}")]["op"] == "delete"
    # The block itself never reaches the blocked one.
    assert ("relation", f"{b}:{a}") not in alice_changes
    bob_changes = by_key((await changes_since(client, bob, bob_cursor))[0])
    assert bob_changes[("relation", f"{b}:{a}")]["data"]["status"] == "block"
    assert bob_changes[("profile", a)]["op"] == "delete"


async def test_strangers_hear_nothing(api: Api, client: httpx.AsyncClient) -> None:
    alice, bob, carol = await api.user(), await api.user(), await api.user()
    a, b = await first_profile(client, alice), await first_profile(client, bob)
    await first_profile(client, carol)
    _, carol_cursor = await changes_since(client, carol)

    await relate(client, alice, a, b, "follow")
    await client.patch(f"/v1/profiles/{b}", json={"name": "Bob B."}, headers=bob.headers)
    await client.post(f"/v1/profiles/{b}/cards", json={"name": "Card"}, headers=bob.headers)

    assert (await changes_since(client, carol, carol_cursor))[0] == []


async def test_a_page_renders_each_entity_once_as_it_is_now(
    api: Api, client: httpx.AsyncClient
) -> None:
    alice = await api.user()
    a = await first_profile(client, alice)
    _, cursor = await changes_since(client, alice)
    for index in range(5):
        response = await client.patch(
            f"/v1/profiles/{a}", json={"name": f"Alice {index}"}, headers=alice.headers
        )
        assert response.status_code == 200, response.text

    response = await client.get(
        "/v1/sync/changes", params={"since": cursor, "limit": 3}, headers=alice.headers
    )
    page = response.json()
    assert page["has_more"] is True
    assert [c["data"]["name"] for c in page["changes"]] == ["Alice 4"]
    assert int(page["cursor"]) == int(cursor) + 3
    rest, final = await changes_since(client, alice, page["cursor"])
    assert [c["data"]["name"] for c in rest] == ["Alice 4"]
    assert int(final) == int(cursor) + 5


@pytest.mark.parametrize("since", ["abc", "-1", "99999999", "1.5"])
async def test_unknown_cursor_is_expired(api: Api, client: httpx.AsyncClient, since: str) -> None:
    alice = await api.user()
    response = await client.get("/v1/sync/changes", params={"since": since}, headers=alice.headers)
    assert response.status_code == 410
    assert response.json()["code"] == "cursor_expired"


async def test_limit_is_validated(api: Api, client: httpx.AsyncClient) -> None:
    alice = await api.user()
    for limit in ("0", "1001", "x"):
        response = await client.get(
            "/v1/sync/changes", params={"limit": limit}, headers=alice.headers
        )
        assert response.status_code == 422


async def test_compaction_expires_old_cursors_but_remembers_what_is_held(
    api: Api, client: httpx.AsyncClient, backends: Backends
) -> None:
    from bca.sync.tasks import compact_all

    alice = await api.user()
    a = await first_profile(client, alice)
    for index in range(4):
        await client.patch(f"/v1/profiles/{a}", json={"name": f"A{index}"}, headers=alice.headers)
    _, cursor = await changes_since(client, alice)

    users, removed = await compact_all(backends, retention_days=1, keep_last=0)
    assert (users, removed) == (0, 0)  # nothing is a day old yet
    async with backends.database.transaction() as session:
        from bca.sync import repository

        await repository.compact(session, (await _user_id(session, alice)), through=int(cursor))

    expired = await client.get("/v1/sync/changes", params={"since": "0"}, headers=alice.headers)
    assert expired.status_code == 410
    assert expired.json()["code"] == "cursor_expired"
    current = await client.get("/v1/sync/changes", params={"since": cursor}, headers=alice.headers)
    assert current.status_code == 200
    async with backends.database.transaction() as session:
        kept = await session.scalar(
            select(func.count()).select_from(Change).where(Change.entity_id == a)
        )
        held = await session.scalar(
            select(func.count()).select_from(HeldEntity).where(HeldEntity.entity_id == a)
        )
    assert (kept, held) == (0, 1)  # the log is gone; what alice's copy holds is remembered
    # So a profile that disappears after compaction is still announced as deleted.
    second = await client.post("/v1/profiles", json={"name": "Second"}, headers=alice.headers)
    _, cursor = await changes_since(client, alice, cursor)
    await repository_compact(backends, alice, int(cursor))
    await client.delete(f"/v1/profiles/{second.json()['id']}", headers=alice.headers)
    gone, _ = await changes_since(client, alice, cursor)
    assert [(c["entity"], c["op"], c["id"]) for c in gone] == [
        ("profile", "delete", second.json()["id"])
    ]


async def repository_compact(backends: Backends, user: TestUser, through: int) -> None:
    import uuid

    from bca.sync import repository

    async with backends.database.transaction() as session:
        await repository.compact(session, uuid.UUID(user.id), through=through)


async def _user_id(session: Any, user: TestUser) -> Any:
    import uuid

    return uuid.UUID(user.id)


async def test_changes_cost_does_not_grow_with_the_log(
    api: Api, client: httpx.AsyncClient, backends: Backends
) -> None:
    alice, bob = await api.user(), await api.user()
    a, b = await first_profile(client, alice), await first_profile(client, bob)
    await relate(client, alice, a, b, "follow")
    _, _cursor = await changes_since(client, alice)

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async def measure(since: str) -> int:
        statements.clear()
        event.listen(backends.database.engine.sync_engine, "before_cursor_execute", count)
        try:
            response = await client.get(
                "/v1/sync/changes", params={"since": since}, headers=alice.headers
            )
        finally:
            event.remove(backends.database.engine.sync_engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len([s for s in statements if "sync_changes" in s or "FROM users AS viewer" in s])

    few = await measure("0")
    for index in range(8):
        await client.patch(f"/v1/profiles/{b}", json={"name": f"B{index}"}, headers=bob.headers)
        await client.patch(f"/v1/profiles/{a}", json={"name": f"A{index}"}, headers=alice.headers)
    many = await measure("0")
    assert many == few  # one log read and one query per entity type, however many entries
    assert many <= 4


async def test_snapshot_lifecycle(api: Api, client: httpx.AsyncClient, backends: Backends) -> None:
    alice, bob = await api.user(), await api.user()
    a, b = await first_profile(client, alice), await first_profile(client, bob)
    await relate(client, alice, a, b, "follow")

    first = await client.get("/v1/sync/snapshot", headers=alice.headers)
    assert first.status_code == 202
    assert int(first.headers["Retry-After"]) >= 1

    ready = await fetch_snapshot(client, backends, alice)
    assert ready.status_code == 200
    assert ready.headers["content-type"] == "application/vnd.sqlite3"
    etag, cursor = ready.headers["ETag"], ready.headers["BCA-Sync-Cursor"]
    db = open_copy(ready.content)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert meta(db) == {
        "user_id": alice.id,
        "cursor": int(cursor),
        "schema_version": SCHEMA_VERSION,
    }
    state = tables(db)
    assert {row[0] for row in state["profiles"]} == {a, b}
    assert {row[0] for row in state["relations"]} == {f"{a}:{b}"}

    head = await client.head("/v1/sync/snapshot", headers=alice.headers)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["ETag"] == etag
    assert head.headers["BCA-Sync-Cursor"] == cursor
    unchanged = await client.get(
        "/v1/sync/snapshot", headers=alice.headers | {"If-None-Match": etag}
    )
    assert unchanged.status_code == 304
    assert unchanged.headers["BCA-Sync-Cursor"] == cursor

    # A write patches the snapshot in the background; old + changes == new, table by table.
    await client.patch(f"/v1/profiles/{b}", json={"name": "Robert"}, headers=bob.headers)
    await relate(client, alice, a, b, "hide")
    await backends.tasks.drain()
    newer = await fetch_snapshot(client, backends, alice)
    assert newer.headers["ETag"] != etag
    assert int(newer.headers["BCA-Sync-Cursor"]) > int(cursor)
    changes, _ = await changes_since(client, alice, cursor)
    client_apply(db, changes)
    assert tables(db) == tables(open_copy(newer.content))

    rebuild = await client.delete("/v1/sync/snapshot", headers=alice.headers)
    assert rebuild.status_code == 202
    await backends.tasks.drain()
    rebuilt = await fetch_snapshot(client, backends, alice)
    assert rebuilt.status_code == 200
    assert tables(open_copy(rebuilt.content)) == tables(open_copy(newer.content))


async def test_first_snapshot_requests_at_once_make_one_pointer_row(
    api: Api, backends: Backends
) -> None:
    """Two devices (or a device beside the worker) asking first at once used to race on the
    pointer row's insert: the second one's unique violation answered 409."""
    alice = await api.user()

    async def first_use() -> uuid.UUID:
        async with backends.database.transaction() as session:
            row = await repository.ensure_snapshot_row(session, uuid.UUID(alice.id))
            return row.user_id

    assert await asyncio.gather(*(first_use() for _ in range(4))) == [uuid.UUID(alice.id)] * 4
    async with backends.database.transaction() as session:
        rows = await session.scalar(select(func.count()).select_from(Snapshot))
    assert rows == 1


async def test_snapshot_is_only_for_its_user(
    api: Api, client: httpx.AsyncClient, backends: Backends
) -> None:
    alice, bob = await api.user(), await api.user()
    await first_profile(client, alice)
    b = await first_profile(client, bob)
    alice_file = await fetch_snapshot(client, backends, alice)
    bob_file = await fetch_snapshot(client, backends, bob)
    assert alice_file.headers["ETag"] != bob_file.headers["ETag"]
    assert b not in {row[0] for row in tables(open_copy(alice_file.content))["profiles"]}
    with pytest.raises(sqlite3.OperationalError):
        open_copy(alice_file.content).execute("SELECT * FROM messages")
