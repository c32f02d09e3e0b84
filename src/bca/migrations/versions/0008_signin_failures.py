"""sign-in failures and lockouts in the database (they survive a cache restart)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signin_failures",
        sa.Column("account_key", sa.String(length=80), nullable=False),
        sa.Column("password_failures", sa.Integer(), nullable=False),
        sa.Column("password_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("app_password_failures", sa.Integer(), nullable=False),
        sa.Column("app_password_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_key", name=op.f("pk_signin_failures")),
    )
    op.create_index(
        op.f("ix_signin_failures_updated_at"), "signin_failures", ["updated_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_signin_failures_updated_at"), table_name="signin_failures")
    op.drop_table("signin_failures")
