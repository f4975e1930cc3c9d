"""Indexes for the reports (ticket_core/reports): a requester's tickets in time order, for "did this person
come back within 7 days" (first-contact resolution, self-service deflection), and a ticket's events by kind,
for the one pass that turns the cohort's events into per-ticket flags.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_requester_id_created_at", "tickets", ["requester_id", "created_at"])
    op.create_index("ix_ticket_events_ticket_id_kind", "ticket_events", ["ticket_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_ticket_events_ticket_id_kind", table_name="ticket_events")
    op.drop_index("ix_tickets_requester_id_created_at", table_name="tickets")
