"""Appending to users' change logs; called by every domain inside its writing transaction.

Writers only *touch* (user, entity) pairs while they work; the entries are decided and
written once, right before the transaction commits (:func:`write_before_commit`, a step of the
transaction boundary that the wiring registers):

- each touched entity is checked against ``bca.sync.visibility`` for each touched user, in a
  few batched queries, once the transaction's writes are all flushed;
- whether the user saw it *before* is a primary-key probe of ``sync_held_entities`` (what the
  user's copy holds, kept with the log), never a look back into the log's history;
- an entry is written only when the user saw the entity before or sees it now: nobody ever
  hears of something they could not see (a stranger's relation, a card never shown to them);
  *conditional* touches (a card whose profile changed) are written only when visibility flips;
  *held* touches skip the checks: the writer knows the user holds the entity before and after
  (a participant's own view of a chat they write to), so the entry costs no query at all;
- sequence numbers are allocated under the ``sync_change_counters`` row locks, taken in
  user-id order in one place, so concurrent writers cannot deadlock and a user's entries commit
  in ``seq`` order (a reader holding cursor N never misses a later commit with a smaller seq);
- users who keep a snapshot get a debounced ``sync.update_snapshot`` after the commit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    Select,
    bindparam,
    case,
    delete,
    exists,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bca.core.db import insert_ignoring_conflicts, outbox
from bca.core.time import utcnow
from bca.sync import visibility
from bca.sync.models import Change, ChangeCounter, HeldEntity, Snapshot

Entity = str
"""An entity type of ``bca.sync.entities.ENTITIES``."""
Operation = Literal["upsert", "delete"]

PENDING_KEY = "bca.sync.pending"
"""``session.info`` key of the (user, entity) pairs the transaction touched."""

_CHUNK = 400

Key = tuple[uuid.UUID, str, str]


@dataclass(frozen=True, slots=True)
class Touch:
    """How a key was touched: ``changed`` its content (else only its visibility may have
    flipped); ``decide``: check visibility at commit (else the user holds it throughout)."""

    changed: bool
    decide: bool

    def merge(self, other: Touch) -> Touch:
        return Touch(self.changed or other.changed, self.decide or other.decide)


ALWAYS = Touch(changed=True, decide=True)
CONDITIONAL = Touch(changed=False, decide=True)
HELD = Touch(changed=True, decide=False)


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
    _note(session, user_ids, entity, entity_ids, CONDITIONAL if conditional else ALWAYS)


def touch_held(
    session: AsyncSession | Session, *, user_id: uuid.UUID, entity: Entity, entity_id: str
) -> None:
    """The entity changed for a user who certainly holds it before and after this write
    (checked by the caller in the same transaction): an ``upsert`` entry, no visibility query."""
    _note(session, [user_id], entity, [entity_id], HELD)


def _note(
    session: AsyncSession | Session,
    user_ids: Iterable[uuid.UUID],
    entity: str,
    entity_ids: Iterable[str],
    how: Touch,
) -> None:
    pending: dict[Key, Touch] = session.info.setdefault(PENDING_KEY, {})
    ids = list(entity_ids)
    for user_id in user_ids:
        for entity_id in ids:
            key = (user_id, entity, entity_id)
            earlier = pending.get(key)
            pending[key] = how if earlier is None else earlier.merge(how)


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


async def held_keys(
    session: AsyncSession,
    users: set[uuid.UUID],
    entity: str,
    *,
    prefixes: Iterable[str] = (),
    suffixes: Iterable[str] = (),
) -> set[str]:
    """Keys of ``entity`` these users' copies hold, starting or ending as given.

    Rows that described an entity may be gone by the time a writer calls (relations and
    wallet entries are deleted, not soft-deleted); what the users hold still names them. The
    scan is bounded by what the users hold now, not by the history of the log.
    """
    patterns = [f"{prefix}%" for prefix in prefixes] + [f"%{suffix}" for suffix in suffixes]
    if not users or not patterns:
        return set()
    rows = await session.scalars(
        select(HeldEntity.entity_id)
        .where(
            HeldEntity.user_id.in_(sorted(users)),
            HeldEntity.entity == entity,
            or_(*(HeldEntity.entity_id.like(pattern) for pattern in patterns)),
        )
        .distinct()
    )
    return set(rows.all())


def create_counter(session: AsyncSession, user_id: uuid.UUID) -> None:
    session.add(ChangeCounter(user_id=user_id, last_seq=0, compacted_through=0))


# --- the commit hook -------------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


Pairs = set[tuple[uuid.UUID, str]]


def _pairs_in_chunks(
    users: Sequence[uuid.UUID],
    keys: Sequence[str],
    find: Callable[[Sequence[uuid.UUID], Sequence[str]], Iterable[tuple[uuid.UUID, str]]],
) -> Pairs:
    """The (user, key) pairs ``find`` returns, asked chunk by chunk of users and of keys so
    that no statement's ``IN`` lists grow past ``_CHUNK``."""
    found: Pairs = set()
    for user_chunk in _chunks(users):
        for key_chunk in _chunks(keys):
            found.update(find(user_chunk, key_chunk))
    return found


def visible_now(
    session: Session, entity: str, users: Sequence[uuid.UUID], keys: Sequence[str]
) -> Pairs:
    def find(user_chunk: Sequence[uuid.UUID], key_chunk: Sequence[str]) -> Pairs:
        rows = session.execute(*visibility.statement(entity, user_chunk, key_chunk))
        return visibility.visible_pairs(entity, rows)

    return _pairs_in_chunks(users, keys, find)


def _held(session: Session, entity: str, users: Sequence[uuid.UUID], keys: Sequence[str]) -> Pairs:
    """Which of these (user, key) pairs the users' copies hold: primary-key probes."""

    def find(user_chunk: Sequence[uuid.UUID], key_chunk: Sequence[str]) -> Pairs:
        rows = session.execute(
            select(HeldEntity.user_id, HeldEntity.entity_id).where(
                HeldEntity.user_id.in_(user_chunk),
                HeldEntity.entity == entity,
                HeldEntity.entity_id.in_(key_chunk),
            )
        )
        return {(user_id, entity_id) for user_id, entity_id in rows}

    return _pairs_in_chunks(users, keys, find)


@dataclass(frozen=True, slots=True)
class Entry:
    user_id: uuid.UUID
    entity: str
    entity_id: str
    op: str
    flips: bool
    """Whether the user's copy starts or stops holding the entity with this entry."""


def decide(session: Session, pending: dict[Key, Touch]) -> list[Entry]:
    """The entries to write for the touched keys."""
    by_entity: dict[str, tuple[set[uuid.UUID], set[str]]] = defaultdict(lambda: (set(), set()))
    for (user_id, entity, entity_id), how in pending.items():
        if how.decide:
            users, keys = by_entity[entity]
            users.add(user_id)
            keys.add(entity_id)
    after: set[Key] = set()
    before: set[Key] = set()
    for entity, (users, keys) in by_entity.items():
        user_list, key_list = sorted(users), sorted(keys)
        after.update(
            (user, entity, key) for user, key in visible_now(session, entity, user_list, key_list)
        )
        before.update(
            (user, entity, key) for user, key in _held(session, entity, user_list, key_list)
        )
    entries = []
    for touched, how in pending.items():
        was = touched in before if how.decide else True
        now = touched in after if how.decide else True
        if (not how.changed and was == now) or (not was and not now):
            continue
        entries.append(Entry(*touched, op="upsert" if now else "delete", flips=was != now))
    return entries


def _keep_held(session: Session, entries: Sequence[Entry]) -> None:
    """Bring ``sync_held_entities`` in line with the entries that flip what a user holds."""
    gained = [
        {"user_id": e.user_id, "entity": e.entity, "entity_id": e.entity_id}
        for e in entries
        if e.flips and e.op == "upsert"
    ]
    lost = [(e.user_id, e.entity, e.entity_id) for e in entries if e.flips and e.op == "delete"]
    for chunk in _chunks(gained, 1000):
        session.execute(insert_ignoring_conflicts(session, HeldEntity), list(chunk))
    for lost_chunk in _chunks(lost):
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
    for users in _chunks(sorted(per_user)):
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
    for chunk in _chunks(rows, 1000):
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


Schedule = Callable[[list[uuid.UUID]], Awaitable[None]]

LIVE_ENTITIES = frozenset({"chat"})
"""Entities whose changes reach a connected client as chat events already: entries of only
these get no sync hint (a post's and a read marker's own entry, the hot path, publish nothing)."""


def write_before_commit(
    *, schedule: Schedule, hint: Schedule | None = None
) -> Callable[[AsyncSession], Awaitable[None]]:
    """The transaction boundary's step (``Database.before_commit``, hooked in by the wiring):
    decide and append the entries of everything the transaction touched, right before it
    commits; after the commit, ``schedule`` the snapshot updates of users who keep one and
    ``hint`` the users whose logs grew (other than by ``LIVE_ENTITIES``), once each."""

    async def write(session: AsyncSession) -> None:
        pending: dict[Key, Touch] | None = session.info.pop(PENDING_KEY, None)
        if not pending:
            return
        keeping, grown = await session.run_sync(_decide_and_append, pending)
        if keeping:
            users = sorted(keeping)

            async def update_snapshots() -> None:
                await schedule(users)

            outbox(session).after_commit(update_snapshots)
        if grown and hint is not None:
            hinted = sorted(grown)
            send = hint

            async def send_hints() -> None:
                await send(hinted)

            outbox(session).after_commit(send_hints)

    return write


def _decide_and_append(
    session: Session, pending: dict[Key, Touch]
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """(users who keep a snapshot, users with an entry of an entity not in LIVE_ENTITIES)."""
    entries = decide(session, pending)
    if not entries:
        return set(), set()
    grown = {entry.user_id for entry in entries if entry.entity not in LIVE_ENTITIES}
    return append(session, entries), grown
