"""Trust (issue 26): verified emails on cards and reports.

- The pending codes and links of card email verifications, and each card's verified addresses
  (``cards.verified_emails``, JSON, ``[]`` for existing rows) with the earliest expiry
  (``cards.verified_until``, indexed for the periodic expiry task).
- ``reports``: reports of messages, profiles and cards, with the reporter's copy of a reported
  message and the moderator's outcome.

Revision ID: 0014
Revises: 0015
Create Date: 2026-12-07 18:33:08.530970
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bca.core.db

revision: str = "0014"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_email_verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("card_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_card_email_verifications_card_id_cards")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_card_email_verifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_email_verifications")),
        sa.UniqueConstraint(
            "card_id", "email", name=op.f("uq_card_email_verifications_card_id_email")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_card_email_verifications_token_hash")),
    )
    with op.batch_alter_table("card_email_verifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_card_email_verifications_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified_emails", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("verified_until", bca.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_cards_verified_until"), ["verified_until"], unique=False
        )

    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reporter_user_id", sa.Uuid(), nullable=False),
        sa.Column("reporter_profile_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=True),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("reported_user_id", sa.Uuid(), nullable=False),
        sa.Column("card_id", sa.Uuid(), nullable=True),
        sa.Column("chat_id", sa.Uuid(), nullable=True),
        sa.Column("message_index", sa.Integer(), nullable=True),
        sa.Column("message_body", sa.Text(), nullable=True),
        sa.Column("message_sent_at", bca.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", bca.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", bca.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_reports_card_id_cards")),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_reports_chat_id_chats")),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_reports_profile_id_profiles")
        ),
        sa.ForeignKeyConstraint(
            ["reported_user_id"], ["users.id"], name=op.f("fk_reports_reported_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_profile_id"],
            ["profiles.id"],
            name=op.f("fk_reports_reporter_profile_id_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"], ["users.id"], name=op.f("fk_reports_reporter_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_reported_user_id", ["reported_user_id"], unique=False)
        batch_op.create_index(
            "ix_reports_reporter_user_id_created_at",
            ["reporter_user_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_reports_status_created_at", ["status", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_status_created_at")
        batch_op.drop_index("ix_reports_reporter_user_id_created_at")
        batch_op.drop_index("ix_reports_reported_user_id")

    op.drop_table("reports")

    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cards_verified_until"))
        batch_op.drop_column("verified_until")
        batch_op.drop_column("verified_emails")

    with op.batch_alter_table("card_email_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_email_verifications_user_id"))

    op.drop_table("card_email_verifications")
