"""membership windows: where each participant's reading starts, and earlier memberships

- ``chat_participants.joined_index``: the first event a participant reads (1 for founding
  members, the ``member_joined`` event of an invitation), filled from the events: the last
  join of the profile before its departure, or 1 when only joins came before it.
- ``chat_past_memberships``: memberships that ended before their participant was invited
  back. Existing data has none recorded (a rejoined participant then reads from the rejoin).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_participants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("joined_index", sa.Integer(), server_default="1", nullable=False)
        )
    op.execute(
        """
        UPDATE chat_participants SET joined_index = COALESCE((
            SELECT max(e."index") FROM chat_events e
            WHERE e.chat_id = chat_participants.chat_id
              AND e.type = 'member_joined'
              AND e.target_profile_id = chat_participants.profile_id
              AND (chat_participants.left_index IS NULL
                   OR e."index" < chat_participants.left_index)), 1)
        """
    )
    # Founding members joined together: they read the chat from its first event.
    op.execute(
        """
        UPDATE chat_participants SET joined_index = 1
        WHERE NOT EXISTS (
            SELECT 1 FROM chat_events e
            WHERE e.chat_id = chat_participants.chat_id
              AND e."index" < chat_participants.joined_index
              AND e.type <> 'member_joined')
        """
    )
    op.create_table(
        "chat_past_memberships",
        sa.Column("chat_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("left_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("joined_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_past_memberships_chat_id_chats")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_chat_past_memberships_profile_id_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_past_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "chat_id", "user_id", "left_index", name=op.f("pk_chat_past_memberships")
        ),
    )


def downgrade() -> None:
    op.drop_table("chat_past_memberships")
    with op.batch_alter_table("chat_participants", schema=None) as batch_op:
        batch_op.drop_column("joined_index")
