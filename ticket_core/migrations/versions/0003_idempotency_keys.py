"""Tickets and message events carry the idempotency key of the message that caused them.

A message processed twice (a crash between the ticket write and the conversation state, a redelivery that
raced its first processing) must not file a second ticket or append twice: the unique indexes make the
second write find the first instead.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): ticket_events is append-only and its triggers refuse DELETE.
    op.add_column("tickets", sa.Column("idempotency_key", sa.String(320), nullable=True))
    op.create_index("ix_tickets_idempotency_key", "tickets", ["idempotency_key"], unique=True)
    op.add_column("ticket_events", sa.Column("idempotency_key", sa.String(320), nullable=True))
    op.create_index("ix_ticket_events_idempotency_key", "ticket_events", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_ticket_events_idempotency_key", table_name="ticket_events")
    op.drop_index("ix_tickets_idempotency_key", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("idempotency_key")
