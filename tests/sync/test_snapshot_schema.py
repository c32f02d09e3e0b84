"""The snapshot file's schema is derived from the entities' read schemas (``columns_of``), and
stays what clients already hold: the tables below, ``schema_version`` 5 (4 added cards'
``verified``; 5 the search table and its FTS5 index, chats' ``request`` and profiles'
``message_requests``). A column that changes here must change ``SCHEMA_VERSION`` with it
(clients rebuild their copy)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from bca.domains import DOMAINS, assemble
from bca.sync.entities import columns_of
from bca.sync.snapshots import SCHEMA_VERSION, schema

SCHEMA_5 = """\
CREATE TABLE meta (user_id TEXT NOT NULL, cursor INTEGER NOT NULL, schema_version INTEGER NOT NULL, built_at TEXT NOT NULL);
CREATE TABLE profiles (id TEXT PRIMARY KEY, name TEXT NOT NULL, team_name TEXT, description TEXT, email TEXT, phone TEXT, address TEXT, sns TEXT, data TEXT, image_url TEXT, private INTEGER NOT NULL, version INTEGER, created_at TEXT, updated_at TEXT, mine INTEGER, message_requests TEXT);
CREATE TABLE relations (id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, target_id TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX ix_relations_target_id ON relations (target_id);
CREATE TABLE cards (id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL, preview_url TEXT, private INTEGER NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, verified TEXT NOT NULL);
CREATE INDEX ix_cards_profile_id ON cards (profile_id);
CREATE TABLE subscriptions (id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, card_id TEXT NOT NULL, subscribed_at TEXT NOT NULL);
CREATE TABLE chats (id TEXT PRIMARY KEY, title TEXT, direct INTEGER NOT NULL, owner_profile_id TEXT NOT NULL, my_profile_id TEXT NOT NULL, participant_count INTEGER NOT NULL, muted INTEGER NOT NULL, read_index INTEGER NOT NULL, created_at TEXT NOT NULL, request INTEGER NOT NULL);
CREATE TABLE contacts (id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, name TEXT NOT NULL, organization TEXT, title TEXT, phones TEXT NOT NULL, emails TEXT NOT NULL, urls TEXT NOT NULL, address TEXT, note TEXT, image_url TEXT, version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX ix_contacts_profile_id ON contacts (profile_id);
CREATE TABLE search_entries (entry INTEGER PRIMARY KEY, entity TEXT NOT NULL, id TEXT NOT NULL, terms TEXT NOT NULL, UNIQUE (entity, id));
CREATE VIRTUAL TABLE search_entries_fts USING fts5(terms, content='search_entries', content_rowid='entry', tokenize='unicode61 remove_diacritics 0', prefix='1 2');
CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN INSERT INTO search_entries_fts(rowid, terms) VALUES (new.entry, new.terms); END;
CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN INSERT INTO search_entries_fts(search_entries_fts, rowid, terms) VALUES ('delete', old.entry, old.terms); END;
CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN INSERT INTO search_entries_fts(search_entries_fts, rowid, terms) VALUES ('delete', old.entry, old.terms); INSERT INTO search_entries_fts(rowid, terms) VALUES (new.entry, new.terms); END;"""  # noqa: E501


def test_the_derived_schema_is_the_one_clients_hold() -> None:
    assemble(DOMAINS)
    assert SCHEMA_VERSION == 5
    assert schema() == SCHEMA_5


class Full(BaseModel):
    id: str
    name: str
    note: str | None
    count: int
    ratio: float
    shown: bool
    tags: list[str]
    extra: dict[str, Any]
    state: Literal["a", "b"]


class Narrow(BaseModel):
    id: str
    name: str
    shown: Literal[True]
    only_here: int = 0


def test_columns_follow_the_schemas_fields_and_types() -> None:
    assert columns_of(Full) == {
        "name": "TEXT NOT NULL",
        "note": "TEXT",
        "count": "INTEGER NOT NULL",
        "ratio": "REAL NOT NULL",
        "shown": "INTEGER NOT NULL",
        "tags": "TEXT NOT NULL",
        "extra": "TEXT NOT NULL",
        "state": "TEXT NOT NULL",
    }
    # A field some shape lacks (or defaults) may be NULL; one every shape requires may not.
    assert columns_of(Full, Narrow) == {
        "name": "TEXT NOT NULL",
        "note": "TEXT",
        "count": "INTEGER",
        "ratio": "REAL",
        "shown": "INTEGER NOT NULL",
        "tags": "TEXT",
        "extra": "TEXT",
        "state": "TEXT",
        "only_here": "INTEGER",
    }
