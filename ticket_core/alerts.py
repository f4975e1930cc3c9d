"""Alerts from monitoring, inside a caller's transaction: one ticket per fingerprint, found through the unique
index on ``alerts.fingerprint`` (never by scanning open tickets, Zammad's weakness); repeats, resends and HA
double deliveries only count; a resolution notes and resolves; a re-fire within the flap window reopens; an
alert whose resolution never comes goes stale; two or more firing alerts of one service make a major
incident with each alert ticket as a child.

Each applied message leaves its inbox key on the alert row: the same message processed again (a crash
between this transaction and the inbox's "processed" mark) changes nothing, not even the counter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ticket_core import filing, links
from ticket_core.convert import to_ticket
from ticket_core.domain import OPEN_STATUSES, InvalidTransition, InvalidValue, NewTicket, Ticket
from ticket_core.history import add_event, set_status
from ticket_core.policy import TicketPolicy
from ticket_core.schema import AlertRow, TicketRow

ALERT_SOURCES: tuple[str, ...] = ("alertmanager", "grafana", "generic")
ALERT_STATUSES: tuple[str, ...] = ("firing", "resolved", "stale")


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """How alerts become tickets (atende/alerts/rules.yaml sets it)."""

    resolve_on_resolved: bool = True
    flap_window: timedelta = timedelta(minutes=30)
    #: Firing alerts of one service within this window make a major incident; None: never.
    major_window: timedelta | None = timedelta(minutes=15)
    major_threshold: int = 2
    #: A firing alert that carries no end time goes stale this long after it was last seen.
    stale_after: timedelta = timedelta(hours=24)
    resolve_stale: bool = True


@dataclass(frozen=True, slots=True)
class AlertSignal:
    """One alert as a receiver understood it. ``fingerprint`` is prefixed with its source, so two tools'
    fingerprints never collide; ``ticket`` is what it opens when firing; ``major_ticket`` is the parent
    filed when it completes a major incident of its service."""

    fingerprint: str
    source: str
    status: str
    ticket: NewTicket
    labels: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, Any] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    major_ticket: NewTicket | None = None
    actor: str = "alert"


@dataclass(frozen=True, slots=True)
class AlertInfo:
    fingerprint: str
    source: str
    status: str
    reference: str
    service: str | None
    seen_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    last_fired_at: datetime
    starts_at: datetime | None
    ends_at: datetime | None
    resolved_at: datetime | None
    labels: dict[str, Any]
    annotations: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """What one alert did. ``action``: opened, seen_again, refired, reopened, resolved, noted, stale,
    duplicate (this message was applied before) or unknown (a resolution for an alert never seen).
    ``changed``: tickets whose status this changed (the caller notifies them); ``major``: the major incident
    the alert's ticket was grouped under by this alert."""

    action: str
    ticket: Ticket | None = None
    alert: AlertInfo | None = None
    changed: tuple[Ticket, ...] = ()
    major: Ticket | None = None


def to_alert(row: AlertRow, reference: str) -> AlertInfo:
    return AlertInfo(
        fingerprint=row.fingerprint, source=row.source, status=row.status, reference=reference,
        service=row.service, seen_count=row.seen_count, first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at, last_fired_at=row.last_fired_at, starts_at=row.starts_at,
        ends_at=row.ends_at, resolved_at=row.resolved_at, labels=dict(row.labels or {}),
        annotations=dict(row.annotations or {}),
    )


def validate(signal: AlertSignal) -> None:
    if signal.source not in ALERT_SOURCES:
        raise InvalidValue(f"alert source must be one of {', '.join(ALERT_SOURCES)}, got {signal.source!r}")
    if signal.status not in ("firing", "resolved"):
        raise InvalidValue(f"alert status must be firing or resolved, got {signal.status!r}")
    if not signal.fingerprint or len(signal.fingerprint) > 200:
        raise InvalidValue("alert fingerprint must be 1 to 200 characters")


def apply(s: Session, signal: AlertSignal, policy: AlertPolicy, message_key: str | None, now: datetime,
          ticket_policy: TicketPolicy) -> AlertOutcome:
    row = s.scalar(select(AlertRow).where(AlertRow.fingerprint == signal.fingerprint).with_for_update())
    if row is not None and message_key is not None and row.last_message_key == message_key:
        ticket = _ticket(s, row.ticket_id)
        return AlertOutcome("duplicate", to_ticket(ticket), to_alert(row, ticket.reference))
    if signal.status == "firing":
        return _firing(s, row, signal, policy, message_key, now, ticket_policy)
    return _resolved(s, row, signal, policy, message_key, now, ticket_policy)


def _firing(s: Session, row: AlertRow | None, signal: AlertSignal, policy: AlertPolicy,
            message_key: str | None, now: datetime, ticket_policy: TicketPolicy) -> AlertOutcome:
    changed: list[TicketRow] = []
    if row is None:
        ticket = _open(s, signal, now, ticket_policy)
        row = AlertRow(
            fingerprint=signal.fingerprint, source=signal.source, ticket_id=ticket.id, status="firing",
            service=signal.ticket.service, seen_count=1, first_seen_at=now, last_seen_at=now,
            last_fired_at=now, starts_at=signal.starts_at, ends_at=signal.ends_at, resolved_at=None,
            labels=dict(signal.labels), annotations=dict(signal.annotations), last_message_key=message_key,
        )
        s.add(row)
        s.flush()
        action = "opened"
    else:
        ticket = _ticket(s, row.ticket_id)
        _seen(row, signal, message_key, now)
        if row.status == "firing":
            return AlertOutcome("seen_again", to_ticket(ticket), to_alert(row, ticket.reference))
        resolved_before, row.status, row.resolved_at = row.resolved_at, "firing", None
        row.last_fired_at, row.starts_at, row.service = now, signal.starts_at, signal.ticket.service
        if ticket.status in OPEN_STATUSES:
            action = "refired"
        elif _flapping(ticket, resolved_before, policy, now):
            try:
                set_status(s, ticket, "open", signal.actor, now, ticket_policy, reason="alert_flapping")
                changed.append(ticket)
                action = "reopened"
            except InvalidTransition:  # past the reopen window: a new ticket after all
                action = "opened"
        else:
            action = "opened"
        if action == "opened":
            ticket = _open(s, signal, now, ticket_policy)
            row.ticket_id, row.seen_count, row.first_seen_at = ticket.id, 1, now
    _note(s, ticket, row, signal, action, now)
    major = _group(s, row, ticket, signal, policy, now, ticket_policy)
    return AlertOutcome(action, to_ticket(ticket), to_alert(row, ticket.reference),
                        tuple(to_ticket(t) for t in changed), to_ticket(major) if major is not None else None)


def _resolved(s: Session, row: AlertRow | None, signal: AlertSignal, policy: AlertPolicy,
              message_key: str | None, now: datetime, ticket_policy: TicketPolicy) -> AlertOutcome:
    if row is None:
        return AlertOutcome("unknown")
    ticket = _ticket(s, row.ticket_id)
    _seen(row, signal, message_key, now)
    if row.status == "resolved":
        return AlertOutcome("seen_again", to_ticket(ticket), to_alert(row, ticket.reference))
    row.status, row.resolved_at = "resolved", now
    row.ends_at = signal.ends_at or now
    changed: list[TicketRow] = []
    action = "noted"
    if policy.resolve_on_resolved and ticket.status in OPEN_STATUSES:
        set_status(s, ticket, "resolved", signal.actor, now, ticket_policy, reason="alert_resolved")
        changed.append(ticket)
        action = "resolved"
    _note(s, ticket, row, signal, action, now)
    return AlertOutcome(action, to_ticket(ticket), to_alert(row, ticket.reference),
                        tuple(to_ticket(t) for t in changed))


def mark_stale(s: Session, policy: AlertPolicy, now: datetime, ticket_policy: TicketPolicy,
               limit: int = 500) -> list[AlertOutcome]:
    """Firing alerts past their ``endsAt`` (or, without one, not seen for ``stale_after``) become stale,
    noted on their ticket, which is resolved unless the policy says otherwise. Rows another worker holds
    are skipped."""
    rows = s.scalars(
        select(AlertRow)
        .where(
            AlertRow.status == "firing",
            or_(
                (AlertRow.ends_at.is_not(None)) & (AlertRow.ends_at < now),
                (AlertRow.ends_at.is_(None)) & (AlertRow.last_seen_at < now - policy.stale_after),
            ),
        )
        .order_by(AlertRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    outcomes = []
    for row in rows:
        ticket = _ticket(s, row.ticket_id)
        row.status = "stale"
        changed: list[TicketRow] = []
        if policy.resolve_stale and ticket.status in OPEN_STATUSES:
            set_status(s, ticket, "resolved", "system", now, ticket_policy, reason="alert_stale")
            changed.append(ticket)
        note = {"status": "stale", "fingerprint": row.fingerprint, "source": row.source, "action": "stale",
                "note": "no resolution arrived: marked stale",
                "ends_at": row.ends_at.isoformat() if row.ends_at else None}
        add_event(s, ticket, "alert", note, "system", now)
        outcomes.append(AlertOutcome("stale", to_ticket(ticket), to_alert(row, ticket.reference),
                                     tuple(to_ticket(t) for t in changed)))
    return outcomes


def _ticket(s: Session, ticket_id: int) -> TicketRow:
    row = s.scalar(select(TicketRow).where(TicketRow.id == ticket_id).with_for_update())
    assert row is not None, "alerts.ticket_id is a foreign key"
    return row


def _open(s: Session, signal: AlertSignal, now: datetime, ticket_policy: TicketPolicy) -> TicketRow:
    # No idempotency key on the ticket: the alert row's last_message_key, written in this transaction,
    # is what makes a second processing of the message find this ticket.
    row = filing.insert(s, filing.prepare(signal.ticket, ticket_policy), now, ticket_policy)
    s.flush()
    return row


def _seen(row: AlertRow, signal: AlertSignal, message_key: str | None, now: datetime) -> None:
    row.seen_count += 1
    row.last_seen_at, row.last_message_key = now, message_key
    row.labels, row.annotations = dict(signal.labels), dict(signal.annotations)
    if signal.status == "firing":
        row.ends_at = signal.ends_at


def _flapping(ticket: TicketRow, resolved_before: datetime | None, policy: AlertPolicy,
              now: datetime) -> bool:
    return (ticket.status == "resolved" and resolved_before is not None
            and now - resolved_before <= policy.flap_window)


def _note(s: Session, ticket: TicketRow, row: AlertRow, signal: AlertSignal, action: str,
          now: datetime) -> None:
    words = {
        "opened": "alert firing: ticket opened",
        "refired": "alert firing again",
        "reopened": "alert firing again within the flap window: ticket reopened",
        "resolved": "alert resolved: ticket resolved",
        "noted": "alert resolved",
    }
    payload = {"status": signal.status, "fingerprint": row.fingerprint, "source": row.source,
               "action": action, "note": words.get(action, action), "seen_count": row.seen_count}
    add_event(s, ticket, "alert", payload, signal.actor, now)


def _group(s: Session, row: AlertRow, ticket: TicketRow, signal: AlertSignal, policy: AlertPolicy,
           now: datetime, ticket_policy: TicketPolicy) -> TicketRow | None:
    """Link the open tickets of this service's recently fired alerts under its open major incident (filed
    now when there is none and they are ``major_threshold`` or more)."""
    if not row.service or policy.major_window is None or signal.major_ticket is None:
        return None
    peers = s.scalars(
        select(TicketRow)
        .join(AlertRow, AlertRow.ticket_id == TicketRow.id)
        .where(
            AlertRow.service == row.service,
            AlertRow.status == "firing",
            AlertRow.last_fired_at >= now - policy.major_window,
            TicketRow.status.in_(sorted(OPEN_STATUSES)),
            TicketRow.major_incident.is_(False),
            TicketRow.parent_id.is_(None),
        )
        .order_by(TicketRow.id)
        .with_for_update()
    ).unique().all()
    if ticket.id not in {p.id for p in peers}:  # already under a parent, or not open
        return None
    parent = s.scalar(
        select(TicketRow)
        .where(TicketRow.major_incident.is_(True), TicketRow.service == row.service,
               TicketRow.status.in_(sorted(OPEN_STATUSES)))
        .order_by(TicketRow.id.desc())
        .limit(1)
        .with_for_update()
    )
    if parent is None:
        if len(peers) < policy.major_threshold:
            return None
        parent = filing.insert(s, filing.prepare(signal.major_ticket, ticket_policy), now, ticket_policy)
        parent.major_incident = True
        s.flush()
        add_event(s, parent, "alert", {"action": "major_incident", "service": row.service,
                                       "note": f"{len(peers)} alerts for {row.service}"}, signal.actor, now)
    for peer in peers:
        links.link(s, peer, parent, signal.actor, now)
    return parent
