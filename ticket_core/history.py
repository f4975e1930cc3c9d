"""Writing the append-only log and the status changes that go with it (inside a caller's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_core import lifecycle, values
from ticket_core.domain import AttachmentLike, InvalidValue, is_agent_actor
from ticket_core.policy import TicketPolicy
from ticket_core.schema import AttachmentRow, EventRow, TicketRow

#: Fields whose agent correction makes a ticket a "corrected" training example.
LABEL_FIELDS = frozenset({"category", "type", "priority", "impact", "urgency"})


def add_event(
    s: Session, ticket: TicketRow, kind: str, payload: dict[str, Any], actor: str, at: datetime,
    idempotency_key: str | None = None,
) -> EventRow:
    row = EventRow(
        ticket_id=ticket.id, kind=kind, payload=payload, actor=values.text(actor, "actor", 200), at=at,
        idempotency_key=idempotency_key,
    )
    s.add(row)
    s.flush()
    return row


def add_attachments(
    s: Session,
    ticket: TicketRow,
    attachments: Sequence[AttachmentLike],
    event: EventRow | None,
    now: datetime,
) -> None:
    for a in attachments:
        if a.size < 0:
            raise InvalidValue(f"attachment {a.name!r}: negative size")
        s.add(
            AttachmentRow(
                ticket_id=ticket.id,
                event_id=event.id if event else None,
                name=values.text(a.name, "attachment name", 300, truncate=True),
                content_type=values.text(a.content_type or "application/octet-stream", "content type", 200),
                size=a.size,
                path=a.path,
                url=a.url,
                created_at=now,
            )
        )
    s.flush()
    s.refresh(ticket, ["attachments"])


def set_status(
    s: Session,
    row: TicketRow,
    target: str,
    actor: str,
    now: datetime,
    policy: TicketPolicy,
    reason: str | None = None,
) -> None:
    """Apply a lifecycle move (validated against the table and the reopen window) and log it."""
    current = row.status
    lifecycle.check_transition(
        row.reference, current, target, resolved_at=row.resolved_at, now=now, policy=policy
    )
    row.status = target
    if target == "resolved":
        row.resolved_at = now
    elif target == "closed":
        row.closed_at = now
    elif (current, target) in lifecycle.REOPENS:
        row.resolved_at = None  # the SLA clock resumes (or, for a self-service report, starts): sla_sync
    row.updated_at = now
    payload: dict[str, Any] = {"from": current, "to": target}
    if reason:
        payload["reason"] = reason
    add_event(s, row, "status_changed", payload, actor, now)


def corrected_ticket_ids(s: Session) -> set[int]:
    rows = s.execute(
        select(EventRow.ticket_id, EventRow.payload, EventRow.actor).where(EventRow.kind == "field_changed")
    ).all()
    return {r.ticket_id for r in rows if r.payload.get("field") in LABEL_FIELDS and is_agent_actor(r.actor)}
