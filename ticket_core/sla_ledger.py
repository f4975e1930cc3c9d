"""The exactly-once ledger of SLA warnings, breaches and escalations.

A notification is *claimed* before it is sent: one transaction locks the ticket, re-checks on a replay of
its log that the level really was reached, inserts the ``sla_notifications`` row (UNIQUE ticket, target,
level: of two scanners racing, one insert wins and the other finds the row), appends ``sla_warning`` or
``sla_breached`` to the ticket's log and, on a breach, applies the escalation rules (``sla_escalated``).
Only then does the caller send, and it records the outcome per recipient (:meth:`SlaLedger.delivered`).

A claim whose sender died (the row stays ``claimed`` with an old ``claimed_at``) is taken over by
:meth:`SlaLedger.take_over` with a compare-and-set on ``claimed_at``, and retried for the recipients not yet
reached; after ``max_attempts`` it is ``failed`` and logged as ``notification_failed``. So nothing is lost
silently; a sender that stalls longer than the take-over delay and then resumes may send twice, which is why
that delay is minutes while a send takes seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from ticket_core import sla_sync
from ticket_core.convert import to_ticket
from ticket_core.domain import OPEN_STATUSES, PRIORITIES, Ticket
from ticket_core.history import add_event
from ticket_core.schema import EventRow, SlaNotificationRow, TicketRow
from ticket_core.sla import BREACH_LEVEL, TARGETS, Recipients, SlaState
from ticket_core.sla.clock import TargetName

if TYPE_CHECKING:
    from ticket_core.store import TicketStore

ACTOR = "system"  # field changes by escalation are not an agent's correction (see is_agent_actor)


@dataclass(frozen=True, slots=True)
class SlaNotification:
    """One row of the ledger. ``recipients``: ``[{"channel", "address", "sent"}]``."""

    id: int
    reference: str
    target: str
    level: int
    state: str
    recipients: list[dict[str, Any]]
    attempts: int
    claimed_by: str
    claimed_at: datetime
    sent_at: datetime | None
    error: str | None
    created_at: datetime

    @property
    def kind(self) -> str:
        return "sla_breached" if self.level >= BREACH_LEVEL else "sla_warning"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "reference": self.reference, "target": self.target, "level": self.level,
            "kind": self.kind, "state": self.state, "recipients": self.recipients, "attempts": self.attempts,
            "claimed_by": self.claimed_by, "claimed_at": self.claimed_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None, "error": self.error,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Claim:
    """What the scanner must send: the notification, the ticket after escalation, the state that fired it."""

    notification: SlaNotification
    ticket: Ticket
    state: SlaState
    escalated: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Due:
    """A level reached that the ledger has no row for yet."""

    reference: str
    target: TargetName
    level: int


class SlaLedger:
    """Claims and records SLA notifications on a :class:`TicketStore`'s database (same transactions, same
    retry rules; it uses the store's session plumbing on purpose)."""

    def __init__(self, store: TicketStore, *, max_attempts: int = 3) -> None:
        self.store = store
        self.max_attempts = max_attempts

    # -- finding work -------------------------------------------------------------------------------------
    def due(self, now: datetime | None = None, batch: int = 500) -> list[Due]:
        """Levels reached by open tickets' running or paused targets that have no ledger row yet (only the
        highest per target: :meth:`claim` records the lower ones as skipped)."""
        return self.survey(now, batch)[0]

    def survey(self, now: datetime | None = None, batch: int = 500) -> tuple[list[Due], list[str]]:
        """:meth:`due`, and the open tickets whose stored ``sla`` no longer says what a replay says (a
        breach, a due time, paused or not): the scanner refreshes those so listings and reports keep up."""
        store = self.store
        at = now or store._now()
        config = store.policy.sla_setup
        out: list[Due] = []
        stale: list[str] = []
        last_id = 0
        while True:
            with store._reads() as s:
                rows = s.scalars(
                    select(TicketRow)
                    .where(TicketRow.status.in_(sorted(OPEN_STATUSES)), TicketRow.id > last_id)
                    .order_by(TicketRow.id)
                    .limit(batch)
                ).all()
                if not rows:
                    return out, stale
                last_id = rows[-1].id
                ids = [r.id for r in rows]
                events: dict[int, list[EventRow]] = {i: [] for i in ids}
                for e in s.scalars(select(EventRow).where(EventRow.ticket_id.in_(ids)).order_by(EventRow.id)):
                    events[e.ticket_id].append(e)
                have: dict[tuple[int, str], int] = {
                    (t, target): int(level)
                    for t, target, level in s.execute(
                        select(SlaNotificationRow.ticket_id, SlaNotificationRow.target,
                               func.max(SlaNotificationRow.level))
                        .where(SlaNotificationRow.ticket_id.in_(ids))
                        .group_by(SlaNotificationRow.ticket_id, SlaNotificationRow.target)
                    ).all()
                }
                for row in rows:
                    state = config.state(events[row.id], at, category=row.category,
                                         requester_email=row.requester.email, priority=row.priority)
                    for name in TARGETS:
                        level = reached_level(state, name, config.levels)
                        if level is not None and level > have.get((row.id, name), 0):
                            out.append(Due(row.reference, name, level))
                    if row.sla is None or _summary(row.sla) != _summary(state.to_json()):
                        stale.append(row.reference)

    # -- claiming -----------------------------------------------------------------------------------------
    def claim(self, due: Due, worker: str) -> Claim | None:
        """Claim ``due`` for ``worker``: None when another worker already has it (or it is no longer due:
        an agent answered in between). In the same transaction: the ticket's log entry, lower levels marked
        skipped and, on a breach, the escalation rules applied."""
        store = self.store
        config = store.policy.sla_setup

        def work(s: Session) -> Claim | None:
            now = store._now()
            row = store._lock(s, due.reference)
            taken = s.scalar(select(SlaNotificationRow.id).where(
                SlaNotificationRow.ticket_id == row.id, SlaNotificationRow.target == due.target,
                SlaNotificationRow.level >= due.level))
            if taken is not None:
                return None
            state = sla_sync.compute(s, row, store.policy, now)
            reached = reached_level(state, due.target, config.levels) or 0
            if row.status not in OPEN_STATUSES or reached < due.level:
                return None
            target = state.target(due.target)
            recipients = (config.agent_recipients(row.assignee) if row.assignee
                          else config.team_for(row.category))
            escalated: dict[str, Any] | None = None
            if due.level >= BREACH_LEVEL:
                escalated, extra = _escalate(s, row, due.target, config.escalations, now)
                recipients = recipients.merged(extra)
            for lower in config.levels:
                if lower < due.level and s.scalar(select(SlaNotificationRow.id).where(
                        SlaNotificationRow.ticket_id == row.id, SlaNotificationRow.target == due.target,
                        SlaNotificationRow.level == lower)) is None:
                    s.add(_row(row.id, due.target, lower, "skipped", [], worker, now))
            notification = _row(row.id, due.target, due.level, "claimed",
                                _recipient_list(recipients, config.channels), worker, now)
            s.add(notification)
            s.flush()
            kind = "sla_breached" if due.level >= BREACH_LEVEL else "sla_warning"
            add_event(s, row, kind, {
                "target": due.target, "level": due.level, "percent": round(target.percent, 2),
                "due_at": target.due_at.isoformat() if target.due_at else None,
                "recipients": [f"{r['channel']}:{r['address']}" for r in notification.recipients],
                "notification_id": notification.id,
            }, ACTOR, now)
            sla_sync.refresh(s, row, store.policy, now)
            return Claim(_to_value(notification, row.reference), to_ticket(row), state, escalated)

        return store._write(work)

    def take_over(self, worker: str, stale_before: datetime) -> list[Claim]:
        """Claims left ``claimed`` since before ``stale_before`` (their sender died, or a send failed and
        waits for its retry): taken over by ``worker`` (compare-and-set, so one taker wins each)."""
        store = self.store
        with store._reads() as s:
            stale = s.execute(
                select(SlaNotificationRow.id, SlaNotificationRow.claimed_at)
                .where(SlaNotificationRow.state == "claimed", SlaNotificationRow.claimed_at < stale_before)
                .order_by(SlaNotificationRow.id)
                .limit(200)
            ).all()
        out: list[Claim] = []
        for nid, claimed_at in stale:

            def work(s: Session, nid: int = nid, claimed_at: datetime = claimed_at) -> Claim | None:
                now = store._now()
                won = cast("CursorResult[Any]", s.execute(
                    update(SlaNotificationRow)
                    .where(SlaNotificationRow.id == nid, SlaNotificationRow.state == "claimed",
                           SlaNotificationRow.claimed_at == claimed_at)
                    .values(claimed_by=worker, claimed_at=now)
                    .execution_options(synchronize_session=False)
                )).rowcount
                if not won:
                    return None
                n = s.get(SlaNotificationRow, nid)
                assert n is not None
                s.refresh(n)
                ticket = s.get(TicketRow, n.ticket_id)
                assert ticket is not None
                state = sla_sync.compute(s, ticket, store.policy, now)
                return Claim(_to_value(n, ticket.reference), to_ticket(ticket), state, None)

            claim = store._write(work)
            if claim is not None:
                out.append(claim)
        return out

    # -- recording the outcome ----------------------------------------------------------------------------
    def delivered(self, notification_id: int, worker: str, results: dict[tuple[str, str], str | None]) -> \
            SlaNotification:
        """Record one send attempt: ``results[(channel, address)]`` is None when it went, else the error.
        All reached: ``sent``. Some not, attempts left: stays ``claimed`` (retried by :meth:`take_over`).
        Out of attempts: ``failed`` and ``notification_failed`` on the ticket."""
        store = self.store

        def work(s: Session) -> SlaNotification:
            now = store._now()
            n = s.scalar(select(SlaNotificationRow).where(SlaNotificationRow.id == notification_id)
                         .with_for_update())
            if n is None:
                raise LookupError(f"no SLA notification {notification_id}")
            ticket = s.get(TicketRow, n.ticket_id)
            assert ticket is not None
            if n.state != "claimed" or n.claimed_by != worker:
                return _to_value(n, ticket.reference)  # someone took it over meanwhile: theirs to record
            recipients = [dict(r) for r in n.recipients]
            kind = "sla_breached" if n.level >= BREACH_LEVEL else "sla_warning"
            errors = []
            for r in recipients:
                key = (str(r["channel"]), str(r["address"]))
                if r.get("sent") or key not in results:
                    continue
                if results[key] is None:
                    r["sent"] = True
                    add_event(s, ticket, "notification_sent", {
                        "channel": key[0], "kind": kind, "to": key[1], "target": n.target, "level": n.level,
                    }, "bot", now)
                else:
                    errors.append(f"{key[0]}:{key[1]}: {results[key]}")
            n.recipients = recipients
            n.attempts += 1
            unsent = sorted({str(r["channel"]) for r in recipients if not r.get("sent")})
            if not unsent:
                n.state, n.sent_at, n.error = "sent", now, None
            else:
                n.error = "; ".join(errors)[:2000] or "not sent"
                if n.attempts >= self.max_attempts:
                    n.state = "failed"
                    add_event(s, ticket, "notification_failed", {
                        "channel": ",".join(unsent), "kind": kind, "error": n.error, "target": n.target,
                        "level": n.level}, "bot", now)
            return _to_value(n, ticket.reference)

        return store._write(work)

    # -- after a calendar edit -----------------------------------------------------------------------------
    def recompute(self, *, open_only: bool = False, batch: int = 200) -> int:
        """Replay every ticket's log on the current configuration and store the result (``tickets.sla`` and
        the due times): what a calendar or target edit needs. Returns how many tickets were refreshed."""
        store = self.store
        done, last_id = 0, 0
        while True:
            with store._reads() as s:
                stmt = select(TicketRow.id).where(TicketRow.id > last_id).order_by(TicketRow.id).limit(batch)
                if open_only:
                    stmt = stmt.where(TicketRow.status.in_(sorted(OPEN_STATUSES)))
                ids = list(s.scalars(stmt))
            if not ids:
                return done

            def work(s: Session, ids: list[int] = ids) -> int:
                now = store._now()
                rows = s.scalars(select(TicketRow).where(TicketRow.id.in_(ids)).with_for_update()).all()
                for row in rows:
                    sla_sync.refresh(s, row, store.policy, now)
                return len(rows)

            done += store._write(work)
            last_id = ids[-1]

    # -- reading ------------------------------------------------------------------------------------------
    def list(self, *, reference: str | None = None, state: str | None = None, limit: int = 100,
             offset: int = 0) -> list[SlaNotification]:
        """Newest first."""
        store = self.store
        with store._reads() as s:
            stmt = (select(SlaNotificationRow, TicketRow.reference)
                    .join(TicketRow, TicketRow.id == SlaNotificationRow.ticket_id)
                    .order_by(SlaNotificationRow.id.desc()))
            if reference is not None:
                stmt = stmt.where(TicketRow.reference == reference.strip().upper())
            if state is not None:
                stmt = stmt.where(SlaNotificationRow.state == state)
            rows = s.execute(stmt.limit(max(0, min(limit, 1000))).offset(max(0, offset))).all()
            return [_to_value(n, ref) for n, ref in rows]


def reached_level(state: SlaState, name: TargetName, levels: Sequence[int]) -> int | None:
    """The highest warning level (or the breach) ``name`` has reached while still owed: running or paused,
    not completed. None when none."""
    if not state.active:
        return None
    target = state.target(name)
    if target.completed_at is not None:
        return None
    reached = [lvl for lvl in levels if (target.breached if lvl >= BREACH_LEVEL else target.percent >= lvl)]
    return max(reached) if reached else None


def _summary(sla: dict[str, Any]) -> tuple[Any, ...]:
    """What a stored state must still agree on to be current (elapsed seconds may lag: ``computed_at``)."""
    parts: list[Any] = [sla.get(k) for k in ("calendar", "priority", "active", "paused")]
    for name in TARGETS:
        t = sla.get(name) or {}
        parts += [t.get(k) for k in ("met", "breached", "running", "paused", "completed_at", "target_s")]
        if not t.get("paused"):
            parts.append(t.get("due_at"))  # a paused target's due moves with the clock: not a change
    return tuple(parts)


def _escalate(s: Session, row: TicketRow, target: str, rules: Sequence[Any], now: datetime) -> \
        tuple[dict[str, Any] | None, Recipients]:
    """Apply every matching escalation rule to the locked ticket; the changes are logged like an agent's
    (``field_changed``, ``assigned``) by the ``system`` actor, plus one ``sla_escalated``."""
    matching = [r for r in rules if r.matches(target, row.priority, row.category)]
    if not matching:
        return None, Recipients()
    changes: dict[str, Any] = {}
    notify = Recipients()
    for rule in matching:
        if rule.raise_priority and "priority" not in changes:
            index = PRIORITIES.index(row.priority)
            if index > 0:
                old, row.priority = row.priority, PRIORITIES[index - 1]
                add_event(s, row, "field_changed", {"field": "priority", "old": old, "new": row.priority},
                          ACTOR, now)
                changes["priority"] = {"old": old, "new": row.priority}
        if rule.reassign and "assignee" not in changes and rule.reassign != row.assignee:
            old_assignee, row.assignee = row.assignee, rule.reassign
            add_event(s, row, "assigned", {"old": old_assignee, "new": row.assignee}, ACTOR, now)
            changes["assignee"] = {"old": old_assignee, "new": row.assignee}
        notify = notify.merged(rule.notify)
    row.updated_at = now
    payload = {"target": target, **changes, "notify": notify.to_json()}
    add_event(s, row, "sla_escalated", payload, ACTOR, now)
    return payload, notify


def _recipient_list(recipients: Recipients, channels: Sequence[str]) -> list[dict[str, Any]]:
    return [{"channel": channel, "address": address, "sent": False}
            for channel, addresses in sorted(recipients.addresses.items()) if channel in channels
            for address in addresses]


def _row(ticket_id: int, target: str, level: int, state: str, recipients: list[dict[str, Any]], worker: str,
         now: datetime) -> SlaNotificationRow:
    return SlaNotificationRow(ticket_id=ticket_id, target=target, level=level, state=state,
                              recipients=recipients, attempts=0, claimed_by=worker, claimed_at=now,
                              created_at=now)


def _to_value(n: SlaNotificationRow, reference: str) -> SlaNotification:
    return SlaNotification(
        id=n.id, reference=reference, target=n.target, level=n.level, state=n.state,
        recipients=[dict(r) for r in n.recipients], attempts=n.attempts, claimed_by=n.claimed_by,
        claimed_at=n.claimed_at, sent_at=n.sent_at, error=n.error, created_at=n.created_at,
    )
