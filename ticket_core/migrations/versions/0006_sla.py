"""The SLA clock's columns and the exactly-once ledger of SLA warnings.

- ``tickets.first_responded_at``: when an agent (not the bot) first replied publicly (``agent_reply``).
- ``tickets.sla``: the last computed SLA state (JSON) for listings and reports; the event log stays the
  truth and a replay recomputes it.
- ``sla_notifications``: one row per (ticket, target, level) warning or breach, claimed before sending.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from ticket_core.schema import UTCDateTime

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): other tables reference tickets and ticket_events is append-only.
    op.add_column("tickets", sa.Column("first_responded_at", UTCDateTime(), nullable=True))
    op.add_column("tickets", sa.Column("sla", JSON, nullable=True))
    op.create_table(
        "sla_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("state IN ('claimed', 'sent', 'failed', 'skipped')",
                           name="ck_sla_notifications_state"),
        sa.CheckConstraint("target IN ('first_response', 'resolution')", name="ck_sla_notifications_target"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_sla_notifications_ticket_id_tickets"),
        sa.PrimaryKeyConstraint("id", name="pk_sla_notifications"),
        sa.UniqueConstraint("ticket_id", "target", "level", name="uq_sla_notifications_ticket_target_level"),
    )
    op.create_index("ix_sla_notifications_ticket_id", "sla_notifications", ["ticket_id"])
    op.create_index("ix_sla_notifications_created_at", "sla_notifications", ["created_at"])
    op.create_index("ix_sla_notifications_state_claimed_at", "sla_notifications", ["state", "claimed_at"])


def downgrade() -> None:
    op.drop_table("sla_notifications")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("sla")
        batch.drop_column("first_responded_at")
