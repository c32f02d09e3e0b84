"""Link previews and scheduled messages (issue 25, items 5 and 6)

A nullable ``preview`` JSON column on ``chat_events`` (a message's link preview, and its
``message_preview`` event's), and the ``chat_scheduled_messages`` table the worker sends from,
with indexes for its sweep (status, send_at) and for a user's list (user_id, send_at).

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07 18:37:54
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import bca.core.db

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_scheduled_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("chat_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("file_id", sa.Uuid(), nullable=True),
        sa.Column("reply_to", sa.Integer(), nullable=True),
        sa.Column("send_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cancel_reason", sa.String(length=40), nullable=True),
        sa.Column("sent_index", sa.Integer(), nullable=True),
        sa.Column("created_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_scheduled_messages_chat_id_chats")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_chat_scheduled_messages_file_id_files")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_chat_scheduled_messages_profile_id_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_scheduled_messages_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_scheduled_messages")),
    )
    with op.batch_alter_table("chat_scheduled_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chat_scheduled_messages_status_send_at", ["status", "send_at"], unique=False
        )
        batch_op.create_index(
            "ix_chat_scheduled_messages_user_id_send_at", ["user_id", "send_at"], unique=False
        )

    with op.batch_alter_table("chat_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "preview",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("chat_events", schema=None) as batch_op:
        batch_op.drop_column("preview")

    with op.batch_alter_table("chat_scheduled_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_scheduled_messages_user_id_send_at")
        batch_op.drop_index("ix_chat_scheduled_messages_status_send_at")

    op.drop_table("chat_scheduled_messages")
