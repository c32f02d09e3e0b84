"""Snapshot files: a user's offline database, patched from the change log by the worker.

The file is SQLite (schema below, ``SCHEMA_VERSION``): a table per sync entity, and the search
table that the app searches offline (``bca.sync.snapshot_search``; every row written here
takes its search entry with it). Updating downloads the current file,
applies the changes after its cursor exactly as a client would, and uploads the result under a
*new* key; only then does the ``sync_snapshots`` row switch to it, and only after that is the
old object deleted. A reader therefore always gets a whole file. A missing, foreign, outdated or
unreadable file, a cursor older than the compacted log, or an explicit request rebuilds from
scratch instead. One build per user at a time (a cache lock with a TTL).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bca.backends.tasks import RetryableTaskError
from bca.core.time import isoformat, utcnow
from bca.sync import repository
from bca.sync.entities import ENTITIES, spec_of
from bca.sync.errors import CursorExpired
from bca.sync.service import collect_changes, render_entities
from bca.sync.snapshot_search import TABLE as SEARCH_TABLE
from bca.sync.snapshot_search import search_contents, search_schema, write_search_row

if TYPE_CHECKING:
    from bca.backends import Backends

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 5
"""4 added cards' ``verified``; 5 the search table (``bca.sync.snapshot_search``), chats'
``request`` and profiles' ``message_requests``."""
PATCH_PAGE = 1000
TEST_DELAY_VARIABLE = "BCA_TEST_SNAPSHOT_DELAY"
"""Test-only: seconds to pause a build after the file is written and before it is uploaded, so
that a test can kill the worker mid-task. Never set it in a deployment."""


def schema() -> str:
    """The file's tables, from the registered entity specs (``meta`` first)."""
    statements = [
        "CREATE TABLE meta (user_id TEXT NOT NULL, cursor INTEGER NOT NULL, "
        "schema_version INTEGER NOT NULL, built_at TEXT NOT NULL);"
    ]
    for spec in ENTITIES:
        columns = ", ".join(f"{name} {kind}" for name, kind in spec.columns.items())
        statements.append(f"CREATE TABLE {spec.table} (id TEXT PRIMARY KEY, {columns});")
        statements += [
            f"CREATE INDEX ix_{spec.table}_{column} ON {spec.table} ({column});"
            for column in spec.indexes
        ]
    statements += search_schema()
    return "\n".join(statements)


class PatchImpossible(Exception):
    """The existing file cannot be brought forward; rebuild it."""


# --- the file format ------------------------------------------------------------------------


def _column_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if isinstance(value, bool):
        return int(value)
    return value


def upsert_row(
    db: sqlite3.Connection, entity: str, entity_id: str, data: Mapping[str, Any]
) -> None:
    """Store ``data`` as the row ``entity_id``; columns absent from ``data`` become NULL (a
    private profile's summary replaces a full row entirely). Its search entry follows."""
    spec = spec_of(entity)
    table, columns = spec.table, list(spec.columns)
    values = [entity_id, *(_column_value(data.get(column)) for column in columns)]
    placeholders = ", ".join("?" for _ in values)
    db.execute(
        f"INSERT OR REPLACE INTO {table} (id, {', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608  # table and columns are constants
        values,
    )
    write_search_row(db, entity, entity_id, data)


def apply_changes(db: sqlite3.Connection, changes: Iterable[Mapping[str, Any]]) -> None:
    """What a client does with a page of ``/v1/sync/changes``."""
    for change in changes:
        entity = change["entity"]
        if change["op"] == "upsert":
            upsert_row(db, entity, change["id"], change["data"])
        else:
            table = spec_of(entity).table
            db.execute(f"DELETE FROM {table} WHERE id = ?", (change["id"],))  # noqa: S608
            write_search_row(db, entity, change["id"], None)


def set_meta(db: sqlite3.Connection, *, user_id: uuid.UUID, cursor: int) -> None:
    db.execute("DELETE FROM meta")
    db.execute(
        "INSERT INTO meta (user_id, cursor, schema_version, built_at) VALUES (?, ?, ?, ?)",
        (str(user_id), cursor, SCHEMA_VERSION, isoformat(utcnow())),
    )


def read_meta(db: sqlite3.Connection) -> tuple[str, int, int]:
    row = db.execute("SELECT user_id, cursor, schema_version FROM meta").fetchone()
    if row is None:
        raise PatchImpossible("no meta row")
    return str(row[0]), int(row[1]), int(row[2])


def table_contents(db: sqlite3.Connection) -> dict[str, set[tuple[Any, ...]]]:
    """Every table's rows (for comparisons in tests and tools); the search table's without
    their row numbers."""
    contents = {
        table: set(db.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
        for table in (spec.table for spec in ENTITIES)
    }
    contents[SEARCH_TABLE] = search_contents(db)
    return contents


@contextlib.contextmanager
def _database(path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        yield db
    finally:
        db.close()


# --- building and patching ------------------------------------------------------------------


async def _render_all(backends: Backends, user_id: uuid.UUID) -> tuple[int, dict[str, Any]]:
    """The cursor first, then everything the user sees: the rendering is at least as new as
    the cursor, which is all that "snapshot + changes after its cursor" needs."""
    async with backends.database.transaction() as session:
        counter = await repository.get_counter(session, user_id)
        if counter is None:
            raise LookupError(f"user {user_id} has no change log")
        cursor = counter.last_seq
        rendered = {
            entity: await render_entities(
                session, user_id, entity, None, public_url=backends.settings.public_url
            )
            for entity in ENTITIES.names()
        }
    return cursor, rendered


def _write_full(path: Path, user_id: uuid.UUID, cursor: int, rendered: dict[str, Any]) -> None:
    with _database(path) as db:
        db.execute("PRAGMA journal_mode=OFF")
        db.executescript(schema())
        db.execute("BEGIN")
        for entity, rows in rendered.items():
            for key, data in rows.items():
                upsert_row(db, entity, key, data)
        set_meta(db, user_id=user_id, cursor=cursor)
        db.execute("COMMIT")


async def build_file(backends: Backends, user_id: uuid.UUID, path: Path) -> int:
    """A fresh snapshot of everything the user sees; returns its cursor."""
    cursor, rendered = await _render_all(backends, user_id)
    await asyncio.to_thread(_write_full, path, user_id, cursor, rendered)
    return cursor


def _open_existing(path: Path, user_id: uuid.UUID) -> int:
    try:
        with _database(path) as db:
            owner, cursor, version = read_meta(db)
    except sqlite3.DatabaseError as error:
        raise PatchImpossible(str(error)) from None
    if owner != str(user_id) or version != SCHEMA_VERSION:
        raise PatchImpossible("another user's or another schema's file")
    return cursor


def _apply_page(path: Path, user_id: uuid.UUID, changes: list[dict[str, Any]], cursor: int) -> None:
    with _database(path) as db:
        db.execute("BEGIN")
        apply_changes(db, changes)
        set_meta(db, user_id=user_id, cursor=cursor)
        db.execute("COMMIT")


async def patch_file(backends: Backends, user_id: uuid.UUID, path: Path) -> int:
    """Bring an existing file forward by applying the log after its cursor."""
    cursor = await asyncio.to_thread(_open_existing, path, user_id)
    while True:
        async with backends.database.transaction() as session:
            try:
                batch = await collect_changes(
                    session,
                    user_id,
                    since=cursor,
                    limit=PATCH_PAGE,
                    public_url=backends.settings.public_url,
                )
            except CursorExpired:
                raise PatchImpossible("the file's cursor is older than the kept log") from None
        if batch.changes or batch.cursor != cursor:
            await asyncio.to_thread(_apply_page, path, user_id, batch.changes, batch.cursor)
        cursor = batch.cursor
        if not batch.has_more:
            return cursor


def _finish(path: Path) -> tuple[bytes, str]:
    with _database(path) as db:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise PatchImpossible("the patched file failed its integrity check")
        db.execute("VACUUM")
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:32]


def snapshot_prefix(user_id: uuid.UUID) -> str:
    """Where every snapshot file of the user is kept."""
    return f"sync/{user_id}/"


def snapshot_key(user_id: uuid.UUID, cursor: int) -> str:
    return f"{snapshot_prefix(user_id)}{cursor}-{secrets.token_hex(8)}.sqlite3"


def lock_key(user_id: uuid.UUID) -> str:
    return f"sync:snapshot-lock:{user_id}"


def pending_key(user_id: uuid.UUID) -> str:
    return f"sync:snapshot-pending:{user_id}"


def again_key(user_id: uuid.UUID) -> str:
    return f"sync:snapshot-again:{user_id}"


async def request_updates(backends: Backends, user_ids: Iterable[uuid.UUID]) -> None:
    """Debounced trigger: at most one queued update per user per debounce window.

    The queued task runs after the window (``countdown``), so it covers every commit made in
    it; it clears the flag when it starts, so a commit after that queues the next one.
    """
    delay = backends.settings.sync_snapshot_debounce_seconds
    ttl = max(30, int(delay * 4))
    for user_id in user_ids:
        if await backends.cache.set_if_absent(pending_key(user_id), "1", ttl=ttl):
            await backends.tasks.enqueue(
                "sync.update_snapshot", countdown=delay, user_id=str(user_id)
            )


async def update_snapshot(backends: Backends, user_id: uuid.UUID, *, rebuild: bool) -> None:
    """Patch (or rebuild) the user's snapshot file; idempotent, safe to run twice."""
    await backends.cache.delete(pending_key(user_id))
    token = secrets.token_hex(8)
    ttl = backends.settings.task_visibility_timeout
    if not await backends.cache.set_if_absent(lock_key(user_id), token, ttl=ttl):
        # Someone is building: ask them to go round once more, and come back later in case
        # that someone died (the lock then expires).
        await backends.cache.set(again_key(user_id), "1", ttl=ttl)
        raise RetryableTaskError(f"a snapshot build for {user_id} is in progress")
    try:
        while True:
            await backends.cache.delete(again_key(user_id))
            await _update_once(backends, user_id, rebuild=rebuild)
            rebuild = False
            if not await backends.cache.exists(again_key(user_id)):
                return
    finally:
        if await backends.cache.get(lock_key(user_id)) == token:
            await backends.cache.delete(lock_key(user_id))


async def _update_once(backends: Backends, user_id: uuid.UUID, *, rebuild: bool) -> None:
    async with backends.database.transaction() as session:
        row = await repository.get_snapshot(session, user_id)
        if row is None:
            if not await repository.user_exists(session, user_id):
                # Erased since the update was queued: nothing of theirs is written again.
                logger.info("no snapshot for %s: the account is gone", user_id)
                return
            row = await repository.ensure_snapshot_row(session, user_id)
        counter = await repository.get_counter(session, user_id)
        rebuild = (
            rebuild
            or row.rebuild_requested
            or row.storage_key is None
            or row.schema_version != SCHEMA_VERSION
        )
        if rebuild:
            await repository.clear_rebuild_request(session, user_id)
        old_key = row.storage_key
        if not rebuild and counter is not None and counter.last_seq == row.cursor:
            return
    with tempfile.TemporaryDirectory(prefix="bca-snapshot-") as folder:
        path = Path(folder) / "snapshot.sqlite3"
        cursor = None
        if not rebuild and old_key is not None:
            try:
                path.write_bytes(await backends.storage.get_bytes(old_key))
                cursor = await patch_file(backends, user_id, path)
            except (KeyError, PatchImpossible) as reason:
                logger.info("snapshot of %s rebuilt instead of patched: %s", user_id, reason)
                path.unlink(missing_ok=True)
                cursor = None
        if cursor is None:
            cursor = await build_file(backends, user_id, path)
        data, etag = await asyncio.to_thread(_finish, path)
    logger.info(
        "snapshot file written for %s (cursor %d, %d bytes); uploading", user_id, cursor, len(data)
    )
    delay = float(os.environ.get(TEST_DELAY_VARIABLE) or 0)
    if delay:
        await asyncio.sleep(delay)
    new_key = snapshot_key(user_id, cursor)
    await backends.storage.put_bytes(new_key, data, content_type="application/vnd.sqlite3")
    async with backends.database.transaction() as session:
        switched = await repository.switch_snapshot(
            session,
            user_id,
            expected_key=old_key,
            new_key=new_key,
            cursor=cursor,
            etag=etag,
            schema_version=SCHEMA_VERSION,
        )
    if not switched:
        await backends.storage.delete(new_key)
        raise RetryableTaskError(f"the snapshot of {user_id} was switched by another build")
    if old_key is not None:
        await backends.storage.delete(old_key)
    logger.info("snapshot built for %s at cursor %d (%s)", user_id, cursor, new_key)
