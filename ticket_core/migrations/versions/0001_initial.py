"""Initial ticket core schema: people and their channel identities, tickets, attachments, the append-only
event log (guarded by triggers) and the per-prefix reference counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from ticket_core.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("email", name="uq_people_email"),
        sa.UniqueConstraint("phone", name="uq_people_phone"),
    )
    op.create_table(
        "person_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_person_identities"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_person_identities_person_id_people"),
        sa.UniqueConstraint("channel", "address", name="uq_person_identities_channel_address"),
    )
    op.create_index("ix_person_identities_person_id", "person_identities", ["person_id"])
    op.create_table(
        "ticket_counters",
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name="pk_ticket_counters"),
    )
    op.bulk_insert(
        sa.table("ticket_counters", sa.column("prefix", sa.String()), sa.column("value", sa.Integer())),
        [{"prefix": prefix, "value": 0} for prefix in ("INC", "REQ", "PRB", "CHG")],
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("impact", sa.String(16), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("conversation_key", sa.String(320), nullable=True),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("needs_human", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("first_response_due", UTCDateTime(), nullable=True),
        sa.Column("resolution_due", UTCDateTime(), nullable=True),
        sa.Column("kb_article_id", sa.String(200), nullable=True),
        sa.Column("classification", JSON, nullable=True),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("csat_score", sa.Integer(), nullable=True),
        sa.Column("csat_comment", sa.Text(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("reference", name="uq_tickets_reference"),
        sa.ForeignKeyConstraint(["requester_id"], ["people.id"], name="fk_tickets_requester_id_people"),
        sa.CheckConstraint("type IN ('incident', 'request', 'problem', 'change')", name="ck_tickets_type"),
        sa.CheckConstraint("impact IN ('individual', 'team', 'organization')", name="ck_tickets_impact"),
        sa.CheckConstraint("urgency IN ('low', 'medium', 'high')", name="ck_tickets_urgency"),
        sa.CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4', 'P5')", name="ck_tickets_priority"),
        sa.CheckConstraint(
            "status IN ('new', 'open', 'in_progress', 'pending_user', 'resolved', 'closed', "
            "'self_service_resolved')",
            name="ck_tickets_status",
        ),
        sa.CheckConstraint("csat_score IS NULL OR (csat_score BETWEEN 1 AND 5)", name="ck_tickets_csat_score"),
    )
    op.create_index("ix_tickets_category", "tickets", ["category"])
    op.create_index("ix_tickets_status", "tickets", ["status"])
    op.create_index("ix_tickets_channel", "tickets", ["channel"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_tickets_requester_status", "tickets", ["requester_id", "status"])
    op.create_table(
        "ticket_events",
        sa.Column("id", EVENT_ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_events"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_ticket_events_ticket_id_tickets"),
    )
    op.create_index("ix_ticket_events_kind", "ticket_events", ["kind"])
    op.create_index("ix_ticket_events_ticket_id_id", "ticket_events", ["ticket_id", "id"])
    op.create_table(
        "ticket_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("event_id", EVENT_ID, nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("content_type", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_attachments"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_ticket_attachments_ticket_id_tickets"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["ticket_events.id"], name="fk_ticket_attachments_event_id_ticket_events"
        ),
    )
    op.create_index("ix_ticket_attachments_ticket_id", "ticket_attachments", ["ticket_id"])
    _guard_event_log()


def _guard_event_log() -> None:
    """The log is evidence (who changed what, what the bot told the user): the database itself refuses to
    rewrite or delete it, whatever code or console reaches it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'ticket_events is append-only'; END $$"
        )
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ticket_events_no_{action.lower()} BEFORE {action} ON ticket_events "
                "FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only()"
            )
        op.execute(
            "CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ticket_events_no_{action.lower()} BEFORE {action} ON ticket_events "
                "BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE ticket_attachments, ticket_events CASCADE")
        op.execute("DROP FUNCTION ticket_events_append_only()")
    else:
        op.drop_table("ticket_attachments")
        op.drop_table("ticket_events")
    op.drop_table("tickets")
    op.drop_table("ticket_counters")
    op.drop_table("person_identities")
    op.drop_table("people")
