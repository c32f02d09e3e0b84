"""Helpers for sync tests: read the change log like a client, fetch and apply snapshots.

The applier here is written independently of ``bca.sync.snapshots`` on purpose: it is the
client's side of the contract (docs/api.md), so a server-side mistake in the file format
or in the change shapes shows up as a difference.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bca.backends import Backends
from bca.search.offline import card_terms, contact_terms, profile_terms
from tests.factories.accounts import DEFAULT_PASSWORD, Api, TestUser, token_from_text

TABLE_OF = {
    "profile": "profiles",
    "relation": "relations",
    "card": "cards",
    "subscription": "subscriptions",
    "chat": "chats",
    "contact": "contacts",
}
SEARCH_TERMS = {"card": card_terms, "contact": contact_terms, "profile": profile_terms}
"""The searchable entities and their terms (the app's ``search-tokens.ts`` makes the same)."""


async def changes_since(
    client: httpx.AsyncClient, user: TestUser, since: str | None = None, *, limit: int = 500
) -> tuple[list[dict[str, Any]], str]:
    """Every change after ``since`` (following ``has_more``), and the final cursor."""
    collected: list[dict[str, Any]] = []
    cursor = since
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["since"] = cursor
        response = await client.get("/v1/sync/changes", params=params, headers=user.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        collected += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return collected, cursor


async def fetch_snapshot(
    client: httpx.AsyncClient, backends: Backends, user: TestUser, *, timeout: float = 20
) -> httpx.Response:
    """GET the snapshot, waiting out 202s (draining in-process tasks in between)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get("/v1/sync/snapshot", headers=user.headers)
        if response.status_code != 202:
            return response
        assert response.headers["Retry-After"].isdigit()
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the snapshot was never built")
        await backends.tasks.drain()
        await asyncio.sleep(0.05)


def open_copy(data: bytes) -> sqlite3.Connection:
    folder = Path(tempfile.mkdtemp(prefix="bca-client-"))
    path = folder / "copy.sqlite3"
    path.write_bytes(data)
    return sqlite3.connect(path, isolation_level=None)


def _column(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if isinstance(value, bool):
        return int(value)
    return value


def client_apply(db: sqlite3.Connection, changes: list[dict[str, Any]]) -> None:
    """What the mobile client does: replace the row with ``data``, or delete it."""
    for change in changes:
        table = TABLE_OF[change["entity"]]
        db.execute(f"DELETE FROM {table} WHERE id = ?", (change["id"],))  # noqa: S608
        if change["op"] == "upsert":
            data = change["data"]
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            unknown = set(data) - set(columns)
            assert not unknown, f"{change['entity']} data has fields the schema lacks: {unknown}"
            names = ["id", *data]
            db.execute(
                f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608  # constant table names
                f"VALUES ({', '.join('?' * len(names))})",
                [change["id"], *(_column(value) for value in data.values())],
            )
        else:
            assert "data" not in change or change["data"] is None
        if change["entity"] in SEARCH_TERMS:
            key = (change["entity"], change["id"])
            db.execute("DELETE FROM search_entries WHERE entity = ? AND id = ?", key)
            terms = SEARCH_TERMS[change["entity"]](change["data"] or {})
            if change["op"] == "upsert" and terms:
                db.execute(
                    "INSERT INTO search_entries (entity, id, terms) VALUES (?, ?, ?)",
                    (*key, " ".join(sorted(set(terms)))),
                )


def tables(db: sqlite3.Connection) -> dict[str, set[tuple[Any, ...]]]:
    """Every entity table's rows, and the search table's (without its row numbers)."""
    found = {
        table: set(db.execute(f"SELECT * FROM {table}"))  # noqa: S608  # constant table names
        for table in TABLE_OF.values()
    }
    found["search_entries"] = set(db.execute("SELECT entity, id, terms FROM search_entries"))
    return found


def meta(db: sqlite3.Connection) -> dict[str, Any]:
    row = db.execute("SELECT user_id, cursor, schema_version FROM meta").fetchone()
    return {"user_id": row[0], "cursor": row[1], "schema_version": row[2]}


async def worker_user(client: httpx.AsyncClient, backends: Backends, api: Api) -> TestUser:
    """A verified, signed-in user whose verification mail went through the broker's worker."""
    response = await api.signup()
    assert response.status_code == 201, response.text
    data = response.json()
    user = TestUser(
        id=data["id"], email=data["email"], username=data["username"], password=DEFAULT_PASSWORD
    )
    deadline = time.monotonic() + 30
    while True:
        texts = await api.outbox_texts(user.email)
        if texts:
            break
        assert time.monotonic() < deadline, "the worker never sent the verification mail"
        await asyncio.sleep(0.2)
    verified = await client.post(
        "/v1/auth/email/verify", json={"token": token_from_text(texts[-1], "verify")}
    )
    assert verified.status_code == 204, verified.text
    await api.sign_in_as(user)
    return user
