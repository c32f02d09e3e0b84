"""Appending the decided entries: sequence numbers are allocated under the
``sync_change_counters`` row locks, taken in user-id order in one place, so concurrent writers
cannot deadlock and a user's entries commit in ``seq`` order (a reader holding cursor N never
misses a later commit with a smaller seq); ``sync_held_entities`` follows the entries that
flip what a user holds."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, case, delete, exists, insert, select, tuple_, update
from sqlalchemy.orm import Session

from bca.core.db import insert_ignoring_conflicts
from bca.core.time import utcnow
from bca.sync.changelog_decisions import Entry, chunks
from bca.sync.models import Change, ChangeCounter, HeldEntity, Snapshot


def _keep_held(session: Session, entries: Sequence[Entry]) -> None:
    """Bring ``sync_held_entities`` in line with the entries that flip what a user holds."""
    gained = [
        {"user_id": e.user_id, "entity": e.entity, "entity_id": e.entity_id}
        for e in entries
        if e.flips and e.op == "upsert"
    ]
    lost = [(e.user_id, e.entity, e.entity_id) for e in entries if e.flips and e.op == "delete"]
    for chunk in chunks(gained, 1000):
        session.execute(insert_ignoring_conflicts(session, HeldEntity), list(chunk))
    for lost_chunk in chunks(lost):
        session.execute(
            delete(HeldEntity).where(
                tuple_(HeldEntity.user_id, HeldEntity.entity, HeldEntity.entity_id).in_(
                    list(lost_chunk)
                )
            )
        )


_HAS_SNAPSHOT = exists().where(Snapshot.user_id == ChangeCounter.user_id)
# The common write touches one user (a post, a read marker): statements built once.
_ADVANCE_ONE = (
    update(ChangeCounter)
    .where(ChangeCounter.user_id == bindparam("for_user"))
    .values(last_seq=ChangeCounter.last_seq + bindparam("count"))
    .returning(ChangeCounter.user_id, ChangeCounter.last_seq, _HAS_SNAPSHOT.label("keeps"))
)
_INSERT_CHANGES = insert(Change)


def _append_one_at_once() -> Select[Any]:
    """PostgreSQL: one user's one entry, counter and row in one statement (data-modifying
    CTE). Half the round trips of the most common write's log entry (a post's, a read
    marker's), which a post makes while other writers of its chat wait for its commit."""
    advanced = _ADVANCE_ONE.cte("advanced")
    entry = {
        "entity": bindparam("of_entity", type_=Change.entity.type),
        "entity_id": bindparam("of_entity_id", type_=Change.entity_id.type),
        "op": bindparam("with_op", type_=Change.op.type),
        "created_at": bindparam("at_time", type_=Change.created_at.type),
    }
    written = (
        insert(Change)
        .from_select(
            ["user_id", "seq", *entry],
            select(advanced.c.user_id, advanced.c.last_seq, *entry.values()),
        )
        .cte("written")
    )
    return select(advanced.c.keeps).add_cte(written)


_APPEND_ONE = _append_one_at_once()


def _advance(
    session: Session, per_user: dict[uuid.UUID, list[Entry]], users: Sequence[uuid.UUID]
) -> Any:
    """Advance the users' counters by their numbers of entries: (user, last seq, keeps a
    snapshot) rows. Several rows are locked in user-id order first, so that concurrent writers
    cannot deadlock."""
    connection = session.connection()
    if len(users) == 1:
        parameters = {"for_user": users[0], "count": len(per_user[users[0]])}
        return connection.execute(_ADVANCE_ONE, parameters)
    connection.execute(
        select(ChangeCounter.user_id)
        .where(ChangeCounter.user_id.in_(users))
        .order_by(ChangeCounter.user_id)
        .with_for_update()
    )
    increments = case(
        {user_id: len(per_user[user_id]) for user_id in users}, value=ChangeCounter.user_id
    )
    return connection.execute(
        update(ChangeCounter)
        .where(ChangeCounter.user_id.in_(users))
        .values(last_seq=ChangeCounter.last_seq + increments)
        .returning(ChangeCounter.user_id, ChangeCounter.last_seq, _HAS_SNAPSHOT)
    )


def append(session: Session, entries: Sequence[Entry]) -> set[uuid.UUID]:
    """Allocate gapless sequence numbers and insert the entries; returns the users among them
    who keep a snapshot (to be patched after the commit)."""
    now = utcnow()
    if len(entries) == 1 and session.get_bind().dialect.name == "postgresql":
        return _append_one(session, entries[0], now)
    per_user: dict[uuid.UUID, list[Entry]] = defaultdict(list)
    for entry in entries:
        per_user[entry.user_id].append(entry)
    rows: list[dict[str, Any]] = []
    keeping: set[uuid.UUID] = set()
    for users in chunks(sorted(per_user)):
        advanced = {}
        for user_id, last_seq, keeps in _advance(session, per_user, users):
            advanced[user_id] = last_seq
            if keeps:
                keeping.add(user_id)
        for user_id in users:
            if user_id not in advanced:
                raise LookupError(f"user {user_id} has no change counter")
            items = per_user[user_id]
            first = advanced[user_id] - len(items) + 1
            rows.extend(
                {
                    "user_id": user_id,
                    "seq": first + offset,
                    "entity": item.entity,
                    "entity_id": item.entity_id,
                    "op": item.op,
                    "created_at": now,
                }
                for offset, item in enumerate(items)
            )
    for chunk in chunks(rows, 1000):
        session.connection().execute(_INSERT_CHANGES, list(chunk))
    _keep_held(session, entries)
    return keeping


def _append_one(session: Session, entry: Entry, now: datetime) -> set[uuid.UUID]:
    parameters = {
        "for_user": entry.user_id,
        "count": 1,
        "of_entity": entry.entity,
        "of_entity_id": entry.entity_id,
        "with_op": entry.op,
        "at_time": now,
    }
    keeps = session.connection().execute(_APPEND_ONE, parameters).scalar_one_or_none()
    if keeps is None:
        raise LookupError(f"user {entry.user_id} has no change counter")
    _keep_held(session, [entry])
    return {entry.user_id} if keeps else set()
