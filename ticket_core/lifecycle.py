"""The ticket lifecycle as a table, so the rules are read (and tested) in one place.

    new -> open -> in_progress -> pending_user -> resolved -> closed

plus the moves a desk makes every day: picking up or resolving straight from new/open, handing a ticket
back to the queue, the requester answering a pending question, the requester closing any ticket that is
not closed, and reopening a resolution (an agent's or a self-service one) within the reopen window.
``closed`` is final.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ticket_core.domain import STATUSES, InvalidTransition, InvalidValue
from ticket_core.policy import TicketPolicy

TRANSITIONS: Mapping[str, frozenset[str]] = {
    "new": frozenset({"open", "in_progress", "resolved", "closed"}),
    "open": frozenset({"in_progress", "pending_user", "resolved", "closed"}),
    "in_progress": frozenset({"open", "pending_user", "resolved", "closed"}),
    "pending_user": frozenset({"open", "in_progress", "resolved", "closed"}),
    "resolved": frozenset({"open", "closed"}),
    "self_service_resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}

#: Moves out of a resolution back into work: allowed only within ``policy.reopen_window``.
REOPENS: frozenset[tuple[str, str]] = frozenset({("resolved", "open"), ("self_service_resolved", "open")})

#: Statuses a ticket may be created in.
INITIAL_STATUSES: frozenset[str] = frozenset({"new", "self_service_resolved"})


def check_transition(
    reference: str,
    current: str,
    target: str,
    *,
    resolved_at: datetime | None,
    now: datetime,
    policy: TicketPolicy,
) -> None:
    """Raise :class:`InvalidTransition` unless ``current -> target`` is allowed at ``now``."""
    if target not in STATUSES:
        raise InvalidValue(f"unknown status {target!r}; expected one of {', '.join(STATUSES)}")
    if target not in TRANSITIONS[current]:
        reason = "closed tickets are final" if current == "closed" else "not allowed"
        raise InvalidTransition(reference, current, target, reason)
    reopen = (current, target) in REOPENS
    if reopen and (resolved_at is None or now - resolved_at > policy.reopen_window):
        raise InvalidTransition(reference, current, target, "reopen window has passed")
