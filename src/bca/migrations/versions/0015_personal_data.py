"""A person's data (issue 27): when an account its owner deleted is to be erased, and exports.

``users.erase_after`` is set by ``DELETE /v1/me`` (now + the grace period) and cleared when the
owner signs in again before it; the worker erases the accounts whose time has come (indexed).
``data_exports``: one row per export a person asked for (the ZIP in storage, kept a week).
``chats.retention_days``: the owner's retention period (messages older are redacted).

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-07 18:35:36.158237
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bca.core.db

revision: str = "0015"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erase_after", bca.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_users_erase_after"), ["erase_after"], unique=False)
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
    op.create_table(
        "data_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ready_at", bca.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", bca.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_exports_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_exports_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_data_exports_user_id_created_at", ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("retention_days")
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_data_exports_user_id_created_at")
        batch_op.drop_index(batch_op.f("ix_data_exports_expires_at"))

    op.drop_table("data_exports")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_erase_after"))
        batch_op.drop_column("erase_after")
