"""Alerts from monitoring open tickets; tickets link to a parent (a major incident) and name a service.

``alerts`` keeps one row per fingerprint (unique index: a repeat finds its ticket by index, never by scanning
open tickets); ``alert_rejections`` keeps authenticated payloads that could not be understood.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from ticket_core.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): ticket_events is append-only and its triggers refuse DELETE.
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot ALTER a constraint in, but accepts a REFERENCES clause on a nullable new column.
        op.execute(
            "ALTER TABLE tickets ADD COLUMN parent_id INTEGER "
            "CONSTRAINT fk_tickets_parent_id_tickets REFERENCES tickets (id)"
        )
    else:
        op.add_column("tickets", sa.Column("parent_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_tickets_parent_id_tickets", "tickets", "tickets", ["parent_id"], ["id"])
    op.create_index("ix_tickets_parent_id", "tickets", ["parent_id"])
    op.add_column(
        "tickets", sa.Column("major_incident", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("tickets", sa.Column("service", sa.String(200), nullable=True))
    op.create_index("ix_tickets_service", "tickets", ["service"])

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("service", sa.String(200), nullable=True),
        sa.Column("seen_count", sa.Integer(), nullable=False),
        _when("first_seen_at", False),
        _when("last_seen_at", False),
        _when("last_fired_at", False),
        _when("starts_at"),
        _when("ends_at"),
        _when("resolved_at"),
        sa.Column("labels", _JSON, nullable=False),
        sa.Column("annotations", _JSON, nullable=False),
        sa.Column("last_message_key", sa.String(320), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_alerts_ticket_id_tickets"),
        sa.CheckConstraint("source IN ('alertmanager', 'grafana', 'generic')", name="ck_alerts_source"),
        sa.CheckConstraint("status IN ('firing', 'resolved', 'stale')", name="ck_alerts_status"),
    )
    op.create_index("ix_alerts_fingerprint", "alerts", ["fingerprint"], unique=True)
    op.create_index("ix_alerts_ticket_id", "alerts", ["ticket_id"])
    op.create_index("ix_alerts_status_ends_at", "alerts", ["status", "ends_at"])
    op.create_index("ix_alerts_service_last_fired_at", "alerts", ["service", "last_fired_at"])

    op.create_table(
        "alert_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("body_excerpt", sa.Text(), nullable=False),
        _when("received_at", False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_rejections"),
    )
    op.create_index("ix_alert_rejections_body_sha256", "alert_rejections", ["body_sha256"])
    op.create_index("ix_alert_rejections_received_at", "alert_rejections", ["received_at"])


def downgrade() -> None:
    op.drop_table("alert_rejections")
    op.drop_table("alerts")
    op.drop_index("ix_tickets_service", table_name="tickets")
    op.drop_index("ix_tickets_parent_id", table_name="tickets")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_tickets_parent_id_tickets", "tickets", type_="foreignkey")
    # Plain DROP COLUMN (SQLite >= 3.35 drops a column whose constraint names only itself).
    for column in ("service", "major_incident", "parent_id"):
        op.drop_column("tickets", column)
