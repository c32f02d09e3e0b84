"""message path: what each user holds, departures by index, prior message states

- ``sync_held_entities`` replaces looking back into ``sync_changes`` ("what did this user see
  before?"): filled here from each (user, entity, id)'s newest entry, after which the log's
  secondary index is no longer needed.
- ``chat_participants.left_index``: the departure event's index, filled from the events.
- ``chat_events.prior`` and an index on ``(chat_id, target_index)`` for edits and deletions.
- ``idempotency_records.request_hash`` and an index on ``created_at`` for purging.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_held_entities",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_held_entities_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "entity", "entity_id", name=op.f("pk_sync_held_entities")
        ),
    )
    op.execute(
        """
        INSERT INTO sync_held_entities (user_id, entity, entity_id)
        SELECT c.user_id, c.entity, c.entity_id FROM sync_changes c
        WHERE c.op = 'upsert' AND c.seq = (
            SELECT max(n.seq) FROM sync_changes n
            WHERE n.user_id = c.user_id AND n.entity = c.entity AND n.entity_id = c.entity_id)
        """
    )
    with op.batch_alter_table("sync_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_changes_user_id_entity_entity_id_seq")

    with op.batch_alter_table("chat_participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_index", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE chat_participants SET left_index = (
            SELECT max(e."index") FROM chat_events e
            WHERE e.chat_id = chat_participants.chat_id
              AND e.type IN ('member_left', 'member_kicked')
              AND e.target_profile_id = chat_participants.profile_id)
        WHERE left_at IS NOT NULL
        """
    )

    with op.batch_alter_table("chat_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "prior",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.create_index(
            "ix_chat_events_chat_id_target_index", ["chat_id", "target_index"], unique=False
        )

    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_idempotency_records_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_records_created_at"))
        batch_op.drop_column("request_hash")
    with op.batch_alter_table("chat_events", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_events_chat_id_target_index")
        batch_op.drop_column("prior")
    with op.batch_alter_table("chat_participants", schema=None) as batch_op:
        batch_op.drop_column("left_index")
    with op.batch_alter_table("sync_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_changes_user_id_entity_entity_id_seq",
            ["user_id", "entity", "entity_id", "seq"],
            unique=False,
        )
    op.drop_table("sync_held_entities")
