"""Parent and child tickets (a major incident and the alerts and reports it explains), inside a caller's
transaction. Resolving a parent resolves its open children: :func:`ticket_core.history.set_status` does it,
so every path that resolves a ticket (agent API, console, an alert's resolution) cascades the same way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_core.domain import OPEN_STATUSES, InvalidValue
from ticket_core.history import add_event
from ticket_core.schema import TicketRow


def link(s: Session, child: TicketRow, parent: TicketRow, actor: str, now: datetime) -> bool:
    """Make ``parent`` the parent of ``child``; False when it already was. Refuses a self-link, a cycle and
    a parent that is no longer open (its children would never be resolved with it). Both tickets log it."""
    if child.id == parent.id:
        raise InvalidValue(f"{child.reference} cannot be its own parent")
    if parent.status not in OPEN_STATUSES:
        raise InvalidValue(f"{parent.reference} is {parent.status}: only an open ticket can be a parent")
    if child.parent_id == parent.id:
        return False
    cursor, seen = parent, {parent.id}
    while cursor.parent is not None:
        cursor = cursor.parent
        if cursor.id == child.id:
            raise InvalidValue(f"linking {child.reference} under {parent.reference} would make a cycle")
        if cursor.id in seen:  # an existing cycle (impossible through this function): stop walking
            break
        seen.add(cursor.id)
    old = child.parent.reference if child.parent is not None else None
    child.parent = parent
    child.updated_at = now
    payload = {"parent": parent.reference, "child": child.reference, "old_parent": old}
    add_event(s, child, "linked", payload, actor, now)
    add_event(s, parent, "linked", payload, actor, now)
    return True


def open_children(s: Session, parent: TicketRow) -> list[TicketRow]:
    """The parent's children still owed work, locked for the caller's update, oldest first."""
    return list(
        s.scalars(
            select(TicketRow)
            .where(TicketRow.parent_id == parent.id, TicketRow.status.in_(sorted(OPEN_STATUSES)))
            .order_by(TicketRow.id)
            .with_for_update()
        ).all()
    )
