"""The app's change applier is tested against the real server (web/tests/unit/sync-apply.test.ts).

Random histories run through the HTTP API (the operations of ``test_sync_property``, plus
contacts with non-ASCII names); for each: the snapshot taken at the start, the pages of
``/v1/sync/changes`` after its cursor, and the rows of a fresh snapshot built at the end. With
``BCA_WRITE_APP_SYNC_FIXTURE=1`` the cases are written to
``web/tests/fixtures/sync-histories.json`` (the app's unit test applies the pages to the
snapshot with its own applier, in sqlite-wasm, and compares every table, the search table's
entries included); without it the test only checks
that this server's pieces still agree (snapshot + changes == fresh, by the reference applier).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
from pathlib import Path
from typing import Any

import httpx
import pytest

from bca.backends import Backends
from tests.factories.accounts import Api
from tests.factories.sync import client_apply, fetch_snapshot, meta, open_copy, tables
from tests.sync.test_sync_property import World, apply, fresh_tables

FIXTURE = Path(__file__).parents[2] / "web" / "tests" / "fixtures" / "sync-histories.json"
CASES = 4
NAMES = ["김민지", "Zoë O\u2019Brien", "Ann", "이서준 \U0001f600"]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"sync_snapshot_debounce_seconds": 0}


def random_operation(rng: random.Random) -> tuple[Any, ...]:
    def n() -> int:
        return rng.randint(0, 7)

    def b() -> bool:
        return rng.random() < 0.5

    kind = rng.choice(
        [
            "create_profile", "edit_profile", "delete_profile", "relate", "unrelate", "accept",
            "create_card", "create_card", "edit_card", "delete_card", "subscribe", "subscribe",
            "unsubscribe", "chat", "invite", "leave", "message", "read", "mute",
            "contact", "contact", "edit_contact", "delete_contact",
        ]
    )  # fmt: skip
    shapes: dict[str, tuple[Any, ...]] = {
        "create_profile": (n(), b()),
        "edit_profile": (n(), n(), b()),
        "delete_profile": (n(), n()),
        "relate": (n(), n(), n(), rng.choice(["follow", "hide", "block"])),
        "unrelate": (n(), n(), n()),
        "accept": (n(), n(), n()),
        "create_card": (n(), n(), b()),
        "edit_card": (n(), n(), b()),
        "delete_card": (n(), n()),
        "subscribe": (n(), n(), n(), b()),
        "unsubscribe": (n(), n(), n()),
        "chat": (n(), n(), n()),
        "invite": (n(), n(), n()),
        "leave": (n(), n()),
        "message": (n(), n()),
        "read": (n(), n(), n()),
        "mute": (n(), n(), b()),
        "contact": (n(), n()),
        "edit_contact": (n(), n()),
        "delete_contact": (n(), n()),
    }
    return (kind, *shapes[kind])


async def contact_operation(
    world: World, contacts: list[tuple[str, str, str]], operation: tuple[Any, ...]
) -> None:
    kind, user = operation[0], world.user(operation[1])
    if kind == "contact":
        profile = world.profile_of(user, operation[2])
        if profile:
            response = await world.client.post(
                f"/v1/profiles/{profile}/contacts",
                json={
                    "name": NAMES[operation[2] % len(NAMES)],
                    "phones": [{"value": "+82 10 1234 5678", "type": "mobile"}],
                    "urls": ["https://example.com/ü"],
                },
                headers=user.headers,
            )
            if response.status_code == 201:
                contacts.append((user.id, profile, response.json()["id"]))
        return
    if not contacts:
        return
    owner_id, profile, contact = contacts[operation[2] % len(contacts)]
    owner = next(u for u in world.users if u.id == owner_id)
    url = f"/v1/profiles/{profile}/contacts/{contact}"
    if kind == "edit_contact":
        current = await world.client.get(url, headers=owner.headers)
        if current.status_code == 200:
            await world.client.patch(
                url,
                json={"note": f"메모 {operation[1]}", "organization": "B.Ca"},
                headers=owner.headers | {"If-Match": current.headers["ETag"]},
            )
    else:
        await world.client.delete(url, headers=owner.headers)


async def pages_since(
    client: httpx.AsyncClient, headers: dict[str, str], since: str, limit: int
) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = since
    while True:
        response = await client.get(
            "/v1/sync/changes", params={"since": cursor, "limit": limit}, headers=headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        cursor = page["cursor"]
        if not page["has_more"]:
            return pages


def as_rows(found: dict[str, set[tuple[Any, ...]]]) -> dict[str, list[list[Any]]]:
    return {
        table: sorted(([*row] for row in rows), key=lambda row: [str(value) for value in row])
        for table, rows in found.items()
    }


async def test_app_sync_fixture(
    api: Api, client: httpx.AsyncClient, backends: Backends, tmp_path: Path
) -> None:
    cases: list[dict[str, Any]] = []
    for seed in range(CASES):
        rng = random.Random(seed)
        users = [await api.user() for _ in range(3)]
        world = World(client=client, backends=backends, users=users)
        contacts: list[tuple[str, str, str]] = []
        for user in users:
            response = await client.get("/v1/profiles", headers=user.headers)
            world.profiles[user.id] = [item["id"] for item in response.json()["items"]]
        me = users[0]
        # A little history before the snapshot, the rest after it.
        for _ in range(6):
            await contact_operation(world, contacts, ("contact", 0, rng.randint(0, 7)))
            await apply(world, ("create_card", 0, rng.randint(0, 7), rng.random() < 0.5))
        await backends.tasks.drain()
        snapshot = await fetch_snapshot(client, backends, me)
        assert snapshot.status_code == 200, snapshot.text
        for step in range(60):
            if step % 10 == 0:  # chats between the three people, often enough to matter
                await apply(world, ("chat", 0, rng.randint(0, 7), rng.randint(0, 7)))
                await apply(world, ("chat", 1, rng.randint(0, 7), rng.randint(0, 7)))
            operation = random_operation(rng)
            if operation[0] in ("contact", "edit_contact", "delete_contact"):
                await contact_operation(world, contacts, operation)
            else:
                await apply(world, operation)
        await backends.tasks.drain()
        copy = open_copy(snapshot.content)
        pages = await pages_since(client, me.headers, str(meta(copy)["cursor"]), limit=7)
        fresh = await fresh_tables(backends, me, tmp_path)
        for page in pages:
            client_apply(copy, page["changes"])
        assert tables(copy) == fresh
        cases.append(
            {
                "user_id": me.id,
                "snapshot": base64.b64encode(gzip.compress(snapshot.content, mtime=0)).decode(),
                "pages": pages,
                "expected": as_rows(fresh),
            }
        )
    if os.environ.get("BCA_WRITE_APP_SYNC_FIXTURE") == "1":
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps({"cases": cases}, ensure_ascii=False, indent=None) + "\n")
