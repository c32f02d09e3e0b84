"""Appending to users' change logs; called by every domain inside its writing transaction.

Writers only *touch* (user, entity) pairs while they work; the entries are decided and
written once, right before the transaction commits (a ``before_commit`` hook on the session):

- each touched entity is checked against ``bca.sync.visibility`` for each touched user, in a
  few batched queries, once the transaction's writes are all flushed;
- whether the user could see it *before* is the op of the user's newest entry for it (an
  entry is written whenever its visibility changes, and compaction keeps each entity's newest
  ``upsert``), so the log itself remembers what every user's copy holds;
- an entry is written only when the user saw the entity before or sees it now: nobody ever
  hears of something they could not see (a stranger's relation, a card never shown to them);
  *conditional* touches (a card whose profile changed) are written only when visibility flips;
- sequence numbers are allocated under the ``sync_change_counters`` row locks, taken in
  user-id order in one place, so concurrent writers cannot deadlock and a user's entries commit
  in ``seq`` order (a reader holding cursor N never misses a later commit with a smaller seq);
- users who keep a snapshot get a debounced ``sync.update_snapshot`` after the commit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import case, event, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, aliased

from bca.core.db import after_commit
from bca.sync import visibility
from bca.sync.models import Change, ChangeCounter, Snapshot

Entity = Literal["profile", "relation", "card", "subscription", "chat"]
Operation = Literal["upsert", "delete"]

PENDING_KEY = "bca.sync.pending"
BACKENDS_KEY = "bca.backends"
"""``session.info`` key of the app's ``Backends`` (set on the sessionmaker by create_backends),
used to enqueue snapshot updates after the commit."""

_CHUNK = 400

Key = tuple[uuid.UUID, str, str]


def touch(
    session: AsyncSession | Session,
    *,
    user_ids: Iterable[uuid.UUID],
    entity: Entity,
    entity_ids: Iterable[str],
    conditional: bool = False,
) -> None:
    """Note that ``entity_ids`` may look different to ``user_ids``; decided at commit.

    ``conditional``: write an entry only if the entity appears or disappears for the user (its
    content did not change, only something it depends on).
    """
    pending: dict[Key, bool] = session.info.setdefault(PENDING_KEY, {})
    ids = list(entity_ids)
    for user_id in user_ids:
        for entity_id in ids:
            key = (user_id, entity, entity_id)
            pending[key] = pending.get(key, True) and conditional


async def record_change(
    session: AsyncSession,
    *,
    user_ids: Iterable[uuid.UUID],
    entity: Entity,
    entity_id: str,
    op: Operation,
) -> None:
    """The entity changed for these users. ``op`` is advisory: what the user sees at commit
    (and at read time) decides between upsert and delete."""
    touch(session, user_ids=user_ids, entity=entity, entity_ids=[entity_id])


def create_counter(session: AsyncSession, user_id: uuid.UUID) -> None:
    session.add(ChangeCounter(user_id=user_id, last_seq=0, compacted_through=0))


# --- the commit hook -------------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def visible_now(
    session: Session, entity: str, users: Sequence[uuid.UUID], keys: Sequence[str]
) -> set[tuple[uuid.UUID, str]]:
    found: set[tuple[uuid.UUID, str]] = set()
    for user_chunk in _chunks(users):
        for key_chunk in _chunks(keys):
            rows = session.execute(*visibility.statement(entity, user_chunk, key_chunk))
            found |= visibility.visible_pairs(entity, rows)
    return found


def _newest_ops(
    session: Session, entity: str, users: Sequence[uuid.UUID], keys: Sequence[str]
) -> dict[tuple[uuid.UUID, str], str]:
    newer = aliased(Change)
    newest: dict[tuple[uuid.UUID, str], str] = {}
    for user_chunk in _chunks(users):
        for key_chunk in _chunks(keys):
            latest = (
                select(func.max(newer.seq))
                .where(
                    newer.user_id == Change.user_id,
                    newer.entity == Change.entity,
                    newer.entity_id == Change.entity_id,
                )
                .scalar_subquery()
            )
            rows = session.execute(
                select(Change.user_id, Change.entity_id, Change.op).where(
                    Change.user_id.in_(user_chunk),
                    Change.entity == entity,
                    Change.entity_id.in_(key_chunk),
                    Change.seq == latest,
                )
            )
            for user_id, entity_id, op in rows:
                newest[(user_id, entity_id)] = op
    return newest


def decide(session: Session, pending: dict[Key, bool]) -> list[tuple[uuid.UUID, str, str, str]]:
    """The entries to write for the touched keys: (user, entity, entity_id, op)."""
    by_entity: dict[str, tuple[set[uuid.UUID], set[str]]] = defaultdict(lambda: (set(), set()))
    for user_id, entity, entity_id in pending:
        users, keys = by_entity[entity]
        users.add(user_id)
        keys.add(entity_id)
    after: set[Key] = set()
    before: dict[Key, str] = {}
    for entity, (users, keys) in by_entity.items():
        user_list, key_list = sorted(users), sorted(keys)
        for user_id, key in visible_now(session, entity, user_list, key_list):
            after.add((user_id, entity, key))
        for (user_id, key), op in _newest_ops(session, entity, user_list, key_list).items():
            before[(user_id, entity, key)] = op
    entries = []
    for touched, conditional in pending.items():
        was = before.get(touched) == "upsert"
        now = touched in after
        if (conditional and was == now) or (not was and not now):
            continue
        entries.append((*touched, "upsert" if now else "delete"))
    return entries


def append(session: Session, entries: Sequence[tuple[uuid.UUID, str, str, str]]) -> None:
    """Allocate gapless sequence numbers and insert the entries.

    Per chunk of users, two statements whatever the fan-out: lock the counter rows in user-id
    order (so concurrent writers cannot deadlock), then advance each by its number of entries.
    """
    per_user: dict[uuid.UUID, list[tuple[str, str, str]]] = defaultdict(list)
    for user_id, entity, entity_id, op in entries:
        per_user[user_id].append((entity, entity_id, op))
    rows: list[dict[str, Any]] = []
    for users in _chunks(sorted(per_user)):
        session.execute(
            select(ChangeCounter.user_id)
            .where(ChangeCounter.user_id.in_(users))
            .order_by(ChangeCounter.user_id)
            .with_for_update()
        )
        increments = case(
            {user_id: len(per_user[user_id]) for user_id in users}, value=ChangeCounter.user_id
        )
        advanced = {
            user_id: last_seq
            for user_id, last_seq in session.execute(
                update(ChangeCounter)
                .where(ChangeCounter.user_id.in_(users))
                .values(last_seq=ChangeCounter.last_seq + increments)
                .returning(ChangeCounter.user_id, ChangeCounter.last_seq)
            )
        }
        for user_id in users:
            if user_id not in advanced:
                raise LookupError(f"user {user_id} has no change counter")
            items = per_user[user_id]
            first = advanced[user_id] - len(items) + 1
            rows.extend(
                {"user_id": user_id, "seq": first + offset, "entity": e, "entity_id": i, "op": op}
                for offset, (e, i, op) in enumerate(items)
            )
    for chunk in _chunks(rows, 1000):
        session.execute(insert(Change), list(chunk))


def _schedule_snapshots(session: Session, users: set[uuid.UUID]) -> None:
    backends = session.info.get(BACKENDS_KEY)
    if backends is None:
        return
    keeping: list[uuid.UUID] = []
    for chunk in _chunks(sorted(users)):
        keeping += session.execute(
            select(Snapshot.user_id).where(Snapshot.user_id.in_(chunk))
        ).scalars()
    if not keeping:
        return

    async def trigger() -> None:
        from bca.sync.snapshots import request_updates

        await request_updates(backends, keeping)

    after_commit(session, trigger)  # type: ignore[arg-type]  # the same info dict as the AsyncSession


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending: dict[Key, bool] | None = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    entries = decide(session, pending)
    if entries:
        append(session, entries)
        _schedule_snapshots(session, {entry[0] for entry in entries})


@event.listens_for(Session, "after_transaction_end")
def _forget_on_rollback(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
