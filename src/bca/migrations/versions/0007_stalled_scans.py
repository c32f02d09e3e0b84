"""an index of the pending scans, for the sweeper of stalled ones

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Partial: the sweeper (scans.fail_stalled, every 5 minutes) reads the few pending scans,
    # not a table that only grows.
    pending = sa.text("status = 'pending'")
    op.create_index(
        "ix_scans_pending_created_at",
        "scans",
        ["created_at"],
        postgresql_where=pending,
        sqlite_where=pending,
    )


def downgrade() -> None:
    op.drop_index("ix_scans_pending_created_at", table_name="scans")
