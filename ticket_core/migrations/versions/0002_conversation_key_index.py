"""Index tickets by conversation key: delivery failures inside a conversation are logged on its tickets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_conversation_key", "tickets", ["conversation_key"])


def downgrade() -> None:
    op.drop_index("ix_tickets_conversation_key", table_name="tickets")
