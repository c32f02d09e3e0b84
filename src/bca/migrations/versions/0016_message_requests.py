"""Message requests (issue 26, part 3): a chat from a profile the invitee does not follow
arrives as a request.

``chat_requests`` says who asked whom into which chat and when (the daily limit counts these
rows by inviting profile, indexed); the invitee's participant row carries the request's state
(``pending``, ``declined``; NULL for everyone who joined before this revision, who are plain
participants). ``profiles.message_requests`` is each profile's choice of who may ask:
``everyone`` for every existing profile (the server default), as for new ones.

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-07 21:43:48.793851
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bca.core.db

revision: str = "0016"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_requests",
        sa.Column("chat_id", sa.Uuid(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("inviter_profile_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_requests_chat_id_chats")
        ),
        sa.ForeignKeyConstraint(
            ["inviter_profile_id"],
            ["profiles.id"],
            name=op.f("fk_chat_requests_inviter_profile_id_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_chat_requests_profile_id_profiles")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_requests_user_id_users")
        ),
        sa.PrimaryKeyConstraint("chat_id", "profile_id", name=op.f("pk_chat_requests")),
    )
    with op.batch_alter_table("chat_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chat_requests_inviter_profile_id_created_at",
            ["inviter_profile_id", "created_at"],
            unique=False,
        )
        batch_op.create_index("ix_chat_requests_user_id", ["user_id"], unique=False)

    with op.batch_alter_table("chat_participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request", sa.String(length=10), nullable=True))

    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "message_requests", sa.String(length=16), server_default="everyone", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_column("message_requests")

    with op.batch_alter_table("chat_participants", schema=None) as batch_op:
        batch_op.drop_column("request")

    with op.batch_alter_table("chat_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_requests_user_id")
        batch_op.drop_index("ix_chat_requests_inviter_profile_id_created_at")

    op.drop_table("chat_requests")
