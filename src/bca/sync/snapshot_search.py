"""The snapshot file's search table: what the app searches offline.

The file holds ``search_entries`` (one row per searchable synced row: its ``entity``, its
``id`` and its ``terms``, space-separated) and ``search_entries_fts``, an FTS5 index over the
terms (external content, kept by triggers inside the file, the way the server's own SQLite
index is kept). Which entities are searchable, and by which terms, is not this package's
business: the search domain plugs a :class:`Searchable` per entity into :data:`SEARCHABLE`
(cards, contacts, profiles). A row's terms are a function of the row's ``data`` alone, so that
whoever applies a change (this module when the worker patches a file, the app when it applies
``/v1/sync/changes`` to its copy) writes the same terms a fresh snapshot holds. The terms are
sorted (by code point) so that the order in which a JSON object's keys arrive cannot change
them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bca.core.domain import Slot

TABLE = "search_entries"
FTS_TABLE = "search_entries_fts"


@dataclass(frozen=True)
class Searchable:
    entity: str
    """The sync entity (``card``, ``contact``, ``profile``)."""
    terms: Callable[[Mapping[str, Any]], list[str]]
    """The row's ``data`` (as ``/v1/sync/changes`` carries it) -> its distinct tokens."""


SEARCHABLE: Slot[Searchable] = Slot("searchable sync entities", key=lambda item: item.entity)
"""The entities the snapshot's search table holds, plugged by the search domain."""


def search_schema() -> list[str]:
    """The search table, its FTS5 index and the triggers that keep the index."""
    # The names are this module's constants, not input.
    add = f"INSERT INTO {FTS_TABLE}(rowid, terms) VALUES (new.entry, new.terms);"  # noqa: S608
    remove = (
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, terms) "  # noqa: S608
        "VALUES ('delete', old.entry, old.terms);"
    )
    return [
        f"CREATE TABLE {TABLE} (entry INTEGER PRIMARY KEY, entity TEXT NOT NULL, "
        "id TEXT NOT NULL, terms TEXT NOT NULL, UNIQUE (entity, id));",
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(terms, content='{TABLE}', "
        "content_rowid='entry', tokenize='unicode61 remove_diacritics 0', prefix='1 2');",
        f"CREATE TRIGGER {TABLE}_ai AFTER INSERT ON {TABLE} BEGIN {add} END;",
        f"CREATE TRIGGER {TABLE}_ad AFTER DELETE ON {TABLE} BEGIN {remove} END;",
        f"CREATE TRIGGER {TABLE}_au AFTER UPDATE ON {TABLE} BEGIN {remove} {add} END;",
    ]


def sorted_terms(terms: list[str]) -> str:
    """The stored form: distinct, sorted by code point, space-separated."""
    return " ".join(sorted(set(terms)))


def write_search_row(
    db: sqlite3.Connection, entity: str, entity_id: str, data: Mapping[str, Any] | None
) -> None:
    """The row's entry follows an upsert (``data``) or a delete (``None``); entities that are
    not searchable have none."""
    if entity not in SEARCHABLE:
        return
    db.execute(f"DELETE FROM {TABLE} WHERE entity = ? AND id = ?", (entity, entity_id))  # noqa: S608  # constant table name
    if data is None:
        return
    terms = sorted_terms(SEARCHABLE.get(entity).terms(data))
    if terms:
        db.execute(
            f"INSERT INTO {TABLE} (entity, id, terms) VALUES (?, ?, ?)",  # noqa: S608
            (entity, entity_id, terms),
        )


def search_contents(db: sqlite3.Connection) -> set[tuple[Any, ...]]:
    """The search table's rows without their row numbers (which depend on the order of
    writes), for comparisons."""
    return set(db.execute(f"SELECT entity, id, terms FROM {TABLE}"))  # noqa: S608
