"""Conversations: reactions, mentions, threads, pins and forwards (issue 25, items 1-4 and 7).

Three tables of their own (``chat_reactions``, ``chat_mentions``, ``chat_pins``; each row
names a profile, indexed, so a person's reactions, mentions and pins are found and removed by
profile id) and four nullable columns on ``chat_events`` that only messages which use them
carry: reaction counts, the thread's size and latest reply, a forwarded copy's origin. A plain
post writes none of them. Nothing to backfill: every existing message has no reaction, reply
count or origin; the roots of replies posted before this revision get their thread's size and
latest reply from the log (one statement).

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-07 18:32:44.506035
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import bca.core.db

revision: str = "0012"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_mentions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("chat_id", sa.Uuid(), nullable=False),
        sa.Column("message_index", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_mentions_chat_id_chats")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_chat_mentions_profile_id_profiles")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_mentions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_mentions")),
        sa.UniqueConstraint(
            "chat_id",
            "message_index",
            "profile_id",
            name=op.f("uq_chat_mentions_chat_id_message_index_profile_id"),
        ),
    )
    with op.batch_alter_table("chat_mentions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chat_mentions_user_id_chat_id_message_index",
            ["user_id", "chat_id", "message_index"],
            unique=False,
        )
        batch_op.create_index(
            "ix_chat_mentions_user_id_created_at", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "chat_pins",
        sa.Column("chat_id", sa.Uuid(), nullable=False),
        sa.Column("message_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("pinned_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_chat_pins_chat_id_chats")),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_chat_pins_profile_id_profiles")
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_index", name=op.f("pk_chat_pins")),
    )
    with op.batch_alter_table("chat_pins", schema=None) as batch_op:
        batch_op.create_index("ix_chat_pins_profile_id", ["profile_id"], unique=False)

    op.create_table(
        "chat_reactions",
        sa.Column("chat_id", sa.Uuid(), nullable=False),
        sa.Column("message_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("emoji", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_reactions_chat_id_chats")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_chat_reactions_profile_id_profiles")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_reactions_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "chat_id", "message_index", "profile_id", "emoji", name=op.f("pk_chat_reactions")
        ),
    )
    with op.batch_alter_table("chat_reactions", schema=None) as batch_op:
        batch_op.create_index("ix_chat_reactions_profile_id", ["profile_id"], unique=False)
        batch_op.create_index("ix_chat_reactions_user_id", ["user_id"], unique=False)

    with op.batch_alter_table("chat_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reactions",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("reply_count", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("last_reply_at", bca.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "forwarded",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    op.execute(
        """
        UPDATE chat_events SET
            reply_count = (
                SELECT count(*) FROM chat_events AS reply
                WHERE reply.chat_id = chat_events.chat_id
                  AND reply.target_index = chat_events."index" AND reply.type = 'message'
            ),
            last_reply_at = (
                SELECT max(reply.created_at) FROM chat_events AS reply
                WHERE reply.chat_id = chat_events.chat_id
                  AND reply.target_index = chat_events."index" AND reply.type = 'message'
            )
        WHERE type = 'message' AND EXISTS (
            SELECT 1 FROM chat_events AS reply
            WHERE reply.chat_id = chat_events.chat_id
              AND reply.target_index = chat_events."index" AND reply.type = 'message'
        )
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("chat_events", schema=None) as batch_op:
        batch_op.drop_column("forwarded")
        batch_op.drop_column("last_reply_at")
        batch_op.drop_column("reply_count")
        batch_op.drop_column("reactions")

    with op.batch_alter_table("chat_reactions", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_reactions_user_id")
        batch_op.drop_index("ix_chat_reactions_profile_id")

    op.drop_table("chat_reactions")
    with op.batch_alter_table("chat_pins", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_pins_profile_id")

    op.drop_table("chat_pins")
    with op.batch_alter_table("chat_mentions", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_mentions_user_id_created_at")
        batch_op.drop_index("ix_chat_mentions_user_id_chat_id_message_index")

    op.drop_table("chat_mentions")
