"""Property: for every user, an earlier snapshot plus the changes since its cursor equals a
fresh snapshot, table by table; and no user's log ever names something they could not see.

Several users run random sequences of profile, relation, card, subscription and chat
operations through the HTTP API (invalid ones simply fail with 4xx and change nothing),
taking snapshots (``GET /v1/sync/snapshot``, patched in the background) at random points.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bca.backends import Backends
from bca.sync import service as sync_service
from bca.sync.entities import ENTITIES
from bca.sync.models import Change
from bca.sync.snapshots import build_file
from tests.factories.accounts import Api, TestUser
from tests.factories.sync import (
    changes_since,
    client_apply,
    fetch_snapshot,
    meta,
    open_copy,
    tables,
)

USERS = 3


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"sync_snapshot_debounce_seconds": 0}


small = st.integers(min_value=0, max_value=7)
OPERATION = st.one_of(
    st.tuples(st.just("create_profile"), small, st.booleans()),
    st.tuples(st.just("edit_profile"), small, small, st.booleans()),
    st.tuples(st.just("delete_profile"), small, small),
    st.tuples(st.just("relate"), small, small, small, st.sampled_from(["follow", "hide", "block"])),
    st.tuples(st.just("unrelate"), small, small, small),
    st.tuples(st.just("accept"), small, small, small),
    st.tuples(st.just("create_card"), small, small, st.booleans()),
    st.tuples(st.just("edit_card"), small, small, st.booleans()),
    st.tuples(st.just("delete_card"), small, small),
    st.tuples(st.just("subscribe"), small, small, small, st.booleans()),
    st.tuples(st.just("unsubscribe"), small, small, small),
    st.tuples(st.just("chat"), small, small, small),
    st.tuples(st.just("invite"), small, small, small),
    st.tuples(st.just("leave"), small, small),
    st.tuples(st.just("message"), small, small),
    st.tuples(st.just("read"), small, small, small),
    st.tuples(st.just("mute"), small, small, st.booleans()),
    st.tuples(st.just("snapshot"), small),
)


@dataclass
class World:
    client: httpx.AsyncClient
    backends: Backends
    users: list[TestUser]
    profiles: dict[str, list[str]] = field(default_factory=dict)  # user id -> profile ids
    cards: list[tuple[str, str]] = field(default_factory=list)  # (owner user id, card id)
    chats: list[str] = field(default_factory=list)
    snapshots: list[tuple[TestUser, bytes]] = field(default_factory=list)
    ever_seen: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def user(self, n: int) -> TestUser:
        return self.users[n % len(self.users)]

    def profile_of(self, user: TestUser, n: int) -> str | None:
        mine = self.profiles[user.id]
        return mine[n % len(mine)] if mine else None

    def any_profile(self, n: int) -> str:
        everyone = [p for ids in self.profiles.values() for p in ids]
        return everyone[n % len(everyone)]

    def card(self, n: int) -> tuple[str, str] | None:
        return self.cards[n % len(self.cards)] if self.cards else None


async def visible_keys(backends: Backends, user_id: str) -> set[tuple[str, str]]:
    async with backends.database.transaction() as session:
        found: set[tuple[str, str]] = set()
        for entity in ENTITIES.names():
            rendered = await sync_service.render_entities(
                session, uuid.UUID(user_id), entity, None, public_url="https://bca.test"
            )
            found |= {(entity, key) for key in rendered}
        return found


async def apply(world: World, operation: tuple[Any, ...]) -> None:  # one branch per op
    client, kind = world.client, operation[0]
    user = world.user(operation[1])
    headers = user.headers
    if kind == "create_profile":
        response = await client.post(
            "/v1/profiles",
            json={"name": f"P{operation[1]}", "private": operation[2]},
            headers=headers,
        )
        if response.status_code == 201:
            world.profiles[user.id].append(response.json()["id"])
    elif kind == "edit_profile":
        profile = world.profile_of(user, operation[2])
        if profile:
            body = {"private": operation[3]} if operation[2] % 2 else {"name": f"N{operation[2]}"}
            await client.patch(f"/v1/profiles/{profile}", json=body, headers=headers)
    elif kind == "delete_profile":
        profile = world.profile_of(user, operation[2])
        if profile and len(world.profiles[user.id]) > 1:
            response = await client.delete(f"/v1/profiles/{profile}", headers=headers)
            if response.status_code == 204:
                world.profiles[user.id].remove(profile)
    elif kind in ("relate", "unrelate", "accept"):
        me = world.profile_of(user, operation[2])
        target = world.any_profile(operation[3])
        if me is None:
            return
        if kind == "relate":
            await client.put(
                f"/v1/profiles/{me}/relations/{target}",
                json={"status": operation[4]},
                headers=headers,
            )
        elif kind == "unrelate":
            await client.delete(f"/v1/profiles/{me}/relations/{target}", headers=headers)
        else:
            await client.post(f"/v1/profiles/{me}/followers/{target}/accept", headers=headers)
    elif kind == "create_card":
        profile = world.profile_of(user, operation[2])
        if profile:
            response = await client.post(
                f"/v1/profiles/{profile}/cards",
                json={"name": f"C{operation[2]}", "private": operation[3]},
                headers=headers,
            )
            if response.status_code == 201:
                world.cards.append((user.id, response.json()["id"]))
    elif kind in ("edit_card", "delete_card"):
        found = world.card(operation[2])
        if found:
            owner = next(u for u in world.users if u.id == found[0])
            if kind == "edit_card":
                await client.patch(
                    f"/v1/cards/{found[1]}", json={"private": operation[3]}, headers=owner.headers
                )
            else:
                await client.delete(f"/v1/cards/{found[1]}", headers=owner.headers)
    elif kind in ("subscribe", "unsubscribe"):
        me = world.profile_of(user, operation[2])
        found = world.card(operation[3])
        if me is None or found is None:
            return
        if kind == "unsubscribe":
            await client.delete(f"/v1/profiles/{me}/subscriptions/{found[1]}", headers=headers)
            return
        params = {}
        if operation[4]:
            owner = next(u for u in world.users if u.id == found[0])
            shared = await client.post(f"/v1/cards/{found[1]}/share", headers=owner.headers)
            if shared.status_code == 201:
                params["share_token"] = shared.json()["token"]
        await client.put(
            f"/v1/profiles/{me}/subscriptions/{found[1]}", params=params, headers=headers
        )
    elif kind == "chat":
        me = world.profile_of(user, operation[2])
        other = world.any_profile(operation[3])
        if me and other != me:
            response = await client.post(
                "/v1/chats", json={"profile_id": me, "participant_ids": [other]}, headers=headers
            )
            if response.status_code == 201:
                world.chats.append(response.json()["id"])
    elif kind == "invite" and world.chats:
        chat = world.chats[operation[2] % len(world.chats)]
        await client.post(
            f"/v1/chats/{chat}/participants",
            json={"profile_id": world.any_profile(operation[3])},
            headers=headers,
        )
    elif kind == "leave" and world.chats:
        chat = world.chats[operation[2] % len(world.chats)]
        response = await client.get(f"/v1/chats/{chat}", headers=headers)
        if response.status_code == 200:
            mine = response.json()["my_profile_id"]
            await client.delete(f"/v1/chats/{chat}/participants/{mine}", headers=headers)
    elif kind == "message" and world.chats:
        chat = world.chats[operation[2] % len(world.chats)]
        await client.post(f"/v1/chats/{chat}/messages", json={"body": "hi"}, headers=headers)
    elif kind == "read" and world.chats:
        chat = world.chats[operation[2] % len(world.chats)]
        await client.post(
            f"/v1/chats/{chat}/read", json={"index": operation[3] + 1}, headers=headers
        )
    elif kind == "mute" and world.chats:
        chat = world.chats[operation[2] % len(world.chats)]
        await client.patch(f"/v1/chats/{chat}", json={"muted": operation[3]}, headers=headers)
    elif kind == "snapshot":
        response = await fetch_snapshot(client, world.backends, user)
        assert response.status_code == 200, response.text
        world.snapshots.append((user, response.content))


async def fresh_tables(backends: Backends, user: TestUser, folder: Path) -> dict[str, Any]:
    path = folder / f"{user.id}-{uuid.uuid4().hex}.sqlite3"
    await build_file(backends, uuid.UUID(user.id), path)
    return tables(open_copy(path.read_bytes()))


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATION, min_size=6, max_size=15))
async def test_snapshot_plus_changes_is_a_fresh_snapshot(
    api: Api, client: httpx.AsyncClient, backends: Backends, tmp_path: Path, operations: list[Any]
) -> None:
    users = [await api.user() for _ in range(USERS)]
    world = World(client=client, backends=backends, users=users)
    for user in users:
        response = await client.get("/v1/profiles", headers=user.headers)
        world.profiles[user.id] = [item["id"] for item in response.json()["items"]]
        world.ever_seen[user.id] = await visible_keys(backends, user.id)
    world.snapshots += [(users[0], (await fetch_snapshot(client, backends, users[0])).content)]

    for operation in operations:
        await apply(world, operation)
        for user in users:
            world.ever_seen[user.id] |= await visible_keys(backends, user.id)
    await backends.tasks.drain()

    for user in users:
        fresh = await fresh_tables(backends, user, tmp_path)
        # Every earlier snapshot of this user, brought forward like a client would.
        for owner, content in world.snapshots:
            if owner is not user:
                continue
            copy = open_copy(content)
            changes, _ = await changes_since(client, user, str(meta(copy)["cursor"]), limit=7)
            client_apply(copy, changes)
            assert tables(copy) == fresh, f"snapshot + changes differs from fresh for {user.id}"
        # The snapshot the worker kept patching is as fresh as a rebuild.
        if any(owner is user for owner, _ in world.snapshots):
            served = await fetch_snapshot(client, backends, user)
            served_copy = open_copy(served.content)
            changes, _ = await changes_since(client, user, served.headers["BCA-Sync-Cursor"])
            client_apply(served_copy, changes)
            assert tables(served_copy) == fresh
        # From nothing: all changes since 0 give the fresh state too.
        empty = open_copy(content_of_empty_snapshot(fresh))
        all_changes, _ = await changes_since(client, user, "0", limit=11)
        client_apply(empty, all_changes)
        assert tables(empty) == fresh
        # Nobody is ever told about an entity they could not see at some point.
        async with backends.database.transaction() as session:
            logged = (
                await session.execute(
                    select(Change.entity, Change.entity_id).where(
                        Change.user_id == uuid.UUID(user.id)
                    )
                )
            ).all()
        leaked = {(entity, key) for entity, key in logged} - world.ever_seen[user.id]
        assert not leaked, f"{user.username} was told about {leaked}"
        await check_against_api(client, user, fresh)


def content_of_empty_snapshot(fresh: dict[str, Any]) -> bytes:
    """An empty file with the snapshot schema (the state before the first change)."""
    import sqlite3
    import tempfile

    from bca.sync.snapshots import schema

    path = Path(tempfile.mkdtemp()) / "empty.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(schema())
    db.close()
    return path.read_bytes()


async def check_against_api(
    client: httpx.AsyncClient, user: TestUser, fresh: dict[str, Any]
) -> None:
    """What the snapshot holds, the API shows to this user in the same projection."""
    for row in fresh["profiles"]:
        response = await client.get(f"/v1/profiles/{row[0]}", headers=user.headers)
        assert response.status_code == 200, (row, response.text)
        assert ("team_name" in response.json()) == (row[14] is not None), row
    for row in fresh["cards"]:
        response = await client.get(f"/v1/cards/{row[0]}", headers=user.headers)
        assert response.status_code == 200, (row, response.text)
    for row in fresh["chats"]:
        response = await client.get(f"/v1/chats/{row[0]}", headers=user.headers)
        assert response.status_code == 200, (row, response.text)
        body = response.json()
        # id, title, direct, owner, my profile, participant_count, muted, read_index, created_at
        assert (body["participant_count"], body["muted"], body["read_index"]) == (
            row[5],
            bool(row[6]),
            row[7],
        ), (row, body)
