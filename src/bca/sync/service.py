"""The rules of sync: reading the change log by cursor and serving snapshot files."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.backends import Backends
from bca.backends.storage import open_read_ahead
from bca.backends.tasks import enqueue_after_commit
from bca.sync import repository, visibility
from bca.sync.entities import Data
from bca.sync.errors import CursorExpired, SchemaUnsupported

DEFAULT_CHANGES_LIMIT = 500
MAX_CHANGES_LIMIT = 1000
SNAPSHOT_RETRY_AFTER_SECONDS = 2
SNAPSHOT_MEDIA_TYPE = "application/vnd.sqlite3"


@dataclass(frozen=True)
class ChangeBatch:
    changes: list[dict[str, Any]]
    cursor: int
    has_more: bool


def parse_cursor(raw: str | None) -> int:
    """Cursors are decimal sequence numbers; anything else is a cursor we never gave out."""
    if raw is None or raw == "":
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise CursorExpired()
    return int(raw)


async def render_entities(
    session: AsyncSession,
    user_id: uuid.UUID,
    entity: str,
    keys: Collection[str] | None,
    *,
    public_url: str,
) -> dict[str, Data]:
    """The entities of one type as ``user_id`` sees them now (``keys=None``: all of them), as
    ``{change-log id: data}``."""
    rows = await repository.visible_rows(session, user_id, entity, keys)
    return visibility.render_rows(entity, rows, public_url=public_url)


async def collect_changes(
    session: AsyncSession, user_id: uuid.UUID, *, since: int, limit: int, public_url: str
) -> ChangeBatch:
    """One page of a user's changes after ``since``, each entity rendered as seen now.

    Cost: the counter row, one range scan of the log, and one query per entity type present
    in the page, whatever the size of the user's data or of the log.
    """
    counter = await repository.get_counter(session, user_id)
    if counter is None or since < counter.compacted_through or since > counter.last_seq:
        raise CursorExpired()
    entries = await repository.read_log(session, user_id, since=since, limit=limit + 1)
    has_more = len(entries) > limit
    page = entries[:limit]
    newest: dict[tuple[str, str], int] = {}
    for entry in page:
        newest[(entry.entity, entry.entity_id)] = entry.seq
    keys: dict[str, set[str]] = defaultdict(set)
    for entity, entity_id in newest:
        keys[entity].add(entity_id)
    rendered = {
        entity: await render_entities(session, user_id, entity, sorted(ids), public_url=public_url)
        for entity, ids in keys.items()
    }
    changes: list[dict[str, Any]] = []
    for (entity, entity_id), _seq in sorted(newest.items(), key=lambda item: item[1]):
        data = rendered[entity].get(entity_id)
        if data is None:
            changes.append({"entity": entity, "op": "delete", "id": entity_id})
        else:
            changes.append({"entity": entity, "op": "upsert", "id": entity_id, "data": data})
    cursor = page[-1].seq if page else since
    return ChangeBatch(changes=changes, cursor=cursor, has_more=has_more)


async def changes(
    session: AsyncSession, backends: Backends, *, user: User, since: str | None, limit: int
) -> ChangeBatch:
    return await collect_changes(
        session,
        user.id,
        since=parse_cursor(since),
        limit=limit,
        public_url=backends.settings.public_url,
    )


# --- snapshots ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotHeaders:
    etag: str
    cursor: int
    schema_version: int

    def as_dict(self) -> dict[str, str]:
        return {
            "ETag": f'"{self.etag}"',
            "BCA-Sync-Cursor": str(self.cursor),
            "BCA-Sync-Schema": str(self.schema_version),
        }


@dataclass(frozen=True)
class SnapshotReady:
    headers: SnapshotHeaders
    not_modified: bool
    body: AsyncIterator[bytes] | None


@dataclass(frozen=True)
class SnapshotBuilding:
    retry_after: int = SNAPSHOT_RETRY_AFTER_SECONDS


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        value = candidate.strip().removeprefix("W/").strip('"')
        if value in ("*", etag):
            return True
    return False


async def snapshot(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    if_none_match: str | None,
    with_body: bool,
    schema_version: int | None = None,
) -> SnapshotReady | SnapshotBuilding:
    """The current snapshot file, or "building" (and a build is on its way). A client that
    names the ``schema_version`` it reads and reads another than this server writes is
    told so (:class:`SchemaUnsupported`) instead of getting a file it cannot use. A file
    stored in an older schema (written before an upgrade) is never served: it is rebuilt."""
    from bca.sync.snapshots import SCHEMA_VERSION, request_updates

    if schema_version is not None and schema_version != SCHEMA_VERSION:
        raise SchemaUnsupported(
            f"This server's snapshots have schema version {SCHEMA_VERSION}; this app reads "
            f"{schema_version}: update the app."
        )
    row = await repository.get_snapshot(session, user.id)
    if row is None:
        await repository.ensure_snapshot_row(session, user.id)
        enqueue_after_commit(session, backends.tasks, "sync.update_snapshot", user_id=str(user.id))
        return SnapshotBuilding()
    if row.storage_key is None or row.etag is None:
        await request_updates(backends, [user.id])
        return SnapshotBuilding()
    if row.schema_version != SCHEMA_VERSION:
        await request_updates(backends, [user.id])
        return SnapshotBuilding()
    counter = await repository.get_counter(session, user.id)
    if counter is not None and counter.last_seq > row.cursor:
        # Normally already on its way after the writes; this covers a lost trigger.
        await request_updates(backends, [user.id])
    headers = SnapshotHeaders(etag=row.etag, cursor=row.cursor, schema_version=SCHEMA_VERSION)
    if etag_matches(if_none_match, row.etag):
        return SnapshotReady(headers=headers, not_modified=True, body=None)
    if not with_body:
        return SnapshotReady(headers=headers, not_modified=False, body=None)
    try:
        body = await open_read_ahead(backends.storage, row.storage_key)
    except KeyError:
        # The object vanished under the pointer (storage wiped): rebuild it.
        await repository.ensure_snapshot_row(session, user.id, rebuild=True)
        enqueue_after_commit(
            session, backends.tasks, "sync.update_snapshot", user_id=str(user.id), rebuild=True
        )
        return SnapshotBuilding()
    return SnapshotReady(headers=headers, not_modified=False, body=body)


async def request_rebuild(session: AsyncSession, backends: Backends, *, user: User) -> None:
    await repository.ensure_snapshot_row(session, user.id, rebuild=True)
    enqueue_after_commit(
        session, backends.tasks, "sync.update_snapshot", user_id=str(user.id), rebuild=True
    )
