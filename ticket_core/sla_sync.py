"""Keeping a ticket's stored SLA columns in step with its log, inside the writer's transaction.

``tickets.sla``, ``first_response_due`` and ``resolution_due`` are a cache of
:meth:`ticket_core.sla.SlaConfig.state` over the ticket's events: every store write that can move the clock
(filing, a status change, a priority or category change, the first agent reply) recomputes them, and the
SLA scanner refreshes open tickets so listings and reports see current elapsed times.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_core.policy import TicketPolicy
from ticket_core.schema import EventRow, TicketRow
from ticket_core.sla import SlaState


def compute(s: Session, row: TicketRow, policy: TicketPolicy, now: datetime) -> SlaState:
    """The ticket's SLA state at ``now``, replayed from its log (pending inserts flushed first)."""
    s.flush()
    events = s.scalars(select(EventRow).where(EventRow.ticket_id == row.id).order_by(EventRow.id)).all()
    return policy.sla_setup.state(
        events, now, category=row.category, requester_email=row.requester.email, priority=row.priority
    )


def refresh(s: Session, row: TicketRow, policy: TicketPolicy, now: datetime) -> SlaState:
    """Recompute and store the ticket's SLA state and due times."""
    state = compute(s, row, policy, now)
    store(row, state)
    return state


def store(row: TicketRow, state: SlaState) -> None:
    row.sla = state.to_json()
    row.first_response_due = state.first_response.due_at if state.active else None
    row.resolution_due = state.resolution.due_at if state.active else None
