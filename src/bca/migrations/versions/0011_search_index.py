"""The search index (issue 24): entries (cards, contacts, profiles), message versions, and
how far each chat's events are indexed.

The tokens (``terms``, space-separated, made by ``bca.search.tokens``) are indexed by each
database in its own way, which Alembic's models do not describe:
- PostgreSQL: a generated ``tokens tsvector`` column, ``array_to_tsvector`` of the terms (no
  text-search parser or dictionary in between), with a GIN index;
- SQLite: an FTS5 table ``<table>_fts`` over ``terms`` (external content, rowid = ``id``),
  kept by triggers on insert, update and delete.
(``bca/migrations/env.py`` leaves both out of ``alembic check``.)

Revision ID: 0011
Revises: 0014
Create Date: 2026-12-07 18:35:30.480707
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bca.core.db

revision: str = "0011"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("search_entries", "search_messages")


def _fts5(table: str) -> list[str]:
    """The FTS5 table over ``table``'s terms and the triggers that keep it (SQLite)."""
    fts = f"{table}_fts"
    # The names are this module's constants, not input.
    add = f"INSERT INTO {fts}(rowid, terms) VALUES (new.id, new.terms);"  # noqa: S608
    remove = f"INSERT INTO {fts}({fts}, rowid, terms) VALUES ('delete', old.id, old.terms);"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(terms, content='{table}', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 0', prefix='1 2')",
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {table}_au AFTER UPDATE ON {table} BEGIN {remove} {add} END",
    ]


def upgrade() -> None:
    op.create_table(
        "search_chats",
        sa.Column("chat_id", sa.Uuid(), nullable=False),
        sa.Column("indexed_through", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_search_chats")),
    )
    op.create_table(
        "search_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("updated_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entries")),
        sa.UniqueConstraint("kind", "entity_id", name=op.f("uq_search_entries_kind_entity_id")),
    )
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.create_index("ix_search_entries_profile_id", ["profile_id"], unique=False)

    op.create_table(
        "search_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("chat_id", sa.Uuid(), nullable=False),
        sa.Column("message_index", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Integer(), nullable=True),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_messages")),
        sa.UniqueConstraint(
            "chat_id",
            "message_index",
            "valid_from",
            name=op.f("uq_search_messages_chat_id_message_index_valid_from"),
        ),
    )
    with op.batch_alter_table("search_messages", schema=None) as batch_op:
        batch_op.create_index("ix_search_messages_profile_id", ["profile_id"], unique=False)
    for table in INDEXED:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN tokens tsvector GENERATED ALWAYS AS "
                "(array_to_tsvector(string_to_array(terms, ' '))) STORED"
            )
            op.execute(f"CREATE INDEX ix_{table}_tokens ON {table} USING gin (tokens)")
        else:
            for statement in _fts5(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in INDEXED:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    with op.batch_alter_table("search_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_search_messages_profile_id")

    op.drop_table("search_messages")
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_search_entries_profile_id")

    op.drop_table("search_entries")
    op.drop_table("search_chats")
