"""Which entries a transaction's touches make, decided right before it commits.

- each touched entity is checked against ``bca.sync.visibility`` for each touched user, in a
  few batched queries, once the transaction's writes are all flushed;
- whether the user saw it *before* is a primary-key probe of ``sync_held_entities`` (what the
  user's copy holds, kept with the log), never a look back into the log's history;
- an entry is written only when the user saw the entity before or sees it now: nobody ever
  hears of something they could not see (a stranger's relation, a card never shown to them);
  *conditional* touches (a card whose profile changed) are written only when visibility flips;
  *held* touches skip the checks: the writer knows the user holds the entity before and after
  (a participant's own view of a chat they write to), so the entry costs no query at all.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bca.sync import visibility
from bca.sync.models import HeldEntity

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


_CHUNK = 400


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
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
    for user_chunk in chunks(users):
        for key_chunk in chunks(keys):
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
