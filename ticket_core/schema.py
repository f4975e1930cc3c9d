"""SQLAlchemy tables of the ticket core. The migrations in ``ticket_core/migrations`` create exactly these
(a test compares them), so change both together and add a new revision rather than editing 0001."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out. SQLite stores no offset, so values come back naive and are re-tagged;
    a naive value going in is a bug in the caller and is refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: ticket_core stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key for the ever-growing log.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PersonRow(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    identities: Mapped[list[IdentityRow]] = relationship(
        back_populates="person", order_by="IdentityRow.id", lazy="selectin"
    )


class IdentityRow(Base):
    __tablename__ = "person_identities"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_person_identities_channel_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    person: Mapped[PersonRow] = relationship(back_populates="identities")


class CounterRow(Base):
    """One row per reference prefix; incremented under the row's write lock so numbers never repeat."""

    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class TicketRow(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("type IN ('incident', 'request', 'problem', 'change')", name="type"),
        CheckConstraint("impact IN ('individual', 'team', 'organization')", name="impact"),
        CheckConstraint("urgency IN ('low', 'medium', 'high')", name="urgency"),
        CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4', 'P5')", name="priority"),
        CheckConstraint(
            "status IN ('new', 'open', 'in_progress', 'pending_user', 'resolved', 'closed', "
            "'self_service_resolved')",
            name="status",
        ),
        CheckConstraint("csat_score IS NULL OR (csat_score BETWEEN 1 AND 5)", name="csat_score"),
        Index("ix_tickets_requester_status", "requester_id", "status"),
        Index("ix_tickets_requester_id_created_at", "requester_id", "created_at"),  # reports (0008)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(32), index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[str] = mapped_column(String(32), index=True)
    conversation_key: Mapped[str | None] = mapped_column(String(320), index=True)
    assignee: Mapped[str | None] = mapped_column(String(200))
    needs_human: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    kb_article_id: Mapped[str | None] = mapped_column(String(200))
    classification: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    answers: Mapped[dict[str, Any]] = mapped_column(JsonType)
    csat_score: Mapped[int | None] = mapped_column(Integer)
    csat_comment: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The idempotency key of the message that filed it: a message processed twice files one ticket.
    idempotency_key: Mapped[str | None] = mapped_column(String(320), unique=True, index=True)
    # A child (a user's report, an alert) points at its parent (a major incident); resolving the parent
    # resolves the open children. ``service`` is the affected service, matched by alerts and reports.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    major_incident: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    service: Mapped[str | None] = mapped_column(String(200), index=True)
    # When an agent (never the bot) first answered the requester publicly: the first-response SLA is met then.
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last computed SLA state (ticket_core.sla.clock.SlaState.to_json), kept for listings and reports;
    # the event log stays the truth and recomputing it from the log gives the same value.
    sla: Mapped[dict[str, Any] | None] = mapped_column(JsonType)

    requester: Mapped[PersonRow] = relationship(lazy="selectin")
    # Lazy on purpose: only tickets with a parent load it (by primary key, often from the identity map).
    parent: Mapped[TicketRow | None] = relationship(remote_side="TicketRow.id", lazy="select")
    attachments: Mapped[list[AttachmentRow]] = relationship(order_by="AttachmentRow.id", lazy="selectin")


class AttachmentRow(Base):
    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"))
    name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventRow(Base):
    """Append-only: the store only ever inserts, and database triggers refuse UPDATE and DELETE."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),
        Index("ix_ticket_events_ticket_id_kind", "ticket_id", "kind"),  # reports (0008)
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set on events a user's message caused (a message appended): processing it again appends nothing.
    idempotency_key: Mapped[str | None] = mapped_column(String(320), unique=True, index=True)


class AlertRow(Base):
    """The current state of one alert (one fingerprint, source-prefixed): which ticket it opened and how often
    it was seen. The unique index is how a repeat, a resend or an HA double delivery finds its ticket."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("source IN ('alertmanager', 'grafana', 'generic')", name="source"),
        CheckConstraint("status IN ('firing', 'resolved', 'stale')", name="status"),
        Index("ix_alerts_status_ends_at", "status", "ends_at"),
        Index("ix_alerts_service_last_fired_at", "service", "last_fired_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    source: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    service: Mapped[str | None] = mapped_column(String(200))
    seen_count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_fired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    labels: Mapped[dict[str, Any]] = mapped_column(JsonType)
    annotations: Mapped[dict[str, Any]] = mapped_column(JsonType)
    # The inbox key of the last message applied: processing that message again (a crash before the inbox
    # row was marked) changes nothing, not even the counter.
    last_message_key: Mapped[str | None] = mapped_column(String(320))


class AlertRejectionRow(Base):
    """An authenticated alert payload that could not be understood: kept (digest and a bounded excerpt) so
    an operator can see what a monitoring tool sent and fix its template."""

    __tablename__ = "alert_rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64), index=True)
    body_excerpt: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CannedResponseRow(Base):
    """Canned responses per language (admins manage them, agents insert them into replies)."""

    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("language", "title", name="uq_canned_responses_language_title"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgentRow(Base):
    """A console account. The password hash is produced and checked outside ticket_core (argon2 in atende):
    this package stores it and never sees a password."""

    __tablename__ = "agents"
    __table_args__ = (CheckConstraint("role IN ('agent', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AgentTokenRow(Base):
    """A personal (agent_id set) or service (agent_id NULL) API token, stored only as its SHA-256."""

    __tablename__ = "agent_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AgentSessionRow(Base):
    """A console login. ``id`` is the hash of the cookie value (a stolen database holds no usable cookie);
    deleting the row ends the session at once."""

    __tablename__ = "agent_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlaNotificationRow(Base):
    """One SLA warning or breach of one ticket's target, claimed before it is sent so that it is sent once.

    ``level`` is the percentage of the target that was reached (75, 90 ... and 100 for the breach). The
    unique (ticket, target, level) makes the claim: the worker whose INSERT commits owns the send. ``state``
    is ``claimed`` (owned, being sent; a claim older than the scanner's lease is taken over and retried, so a
    crash between claim and send does not lose it), ``sent``, ``failed`` (every attempt failed; logged on
    the ticket as ``notification_failed``) or ``skipped`` (a lower level passed while a higher one was
    claimed: a breach is not preceded by two stale warnings). ``recipients`` is a list of
    ``{"channel", "address", "sent"}``: a retry sends only to those not yet reached.
    """

    __tablename__ = "sla_notifications"
    __table_args__ = (
        UniqueConstraint("ticket_id", "target", "level", name="uq_sla_notifications_ticket_target_level"),
        CheckConstraint("state IN ('claimed', 'sent', 'failed', 'skipped')", name="state"),
        CheckConstraint("target IN ('first_response', 'resolution')", name="target"),
        Index("ix_sla_notifications_state_claimed_at", "state", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    target: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[list[Any]] = mapped_column(JsonType)
    attempts: Mapped[int] = mapped_column(Integer)
    claimed_by: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
