"""TicketStore's methods for outages: parent and child tickets, major incidents, and alerts from monitoring
(the writing itself is in :mod:`ticket_core.links` and :mod:`ticket_core.alerts`). A mixin, so the store
stays one entry point while its module stays readable."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ticket_core import alerts, filing, links, values
from ticket_core.alerts import AlertInfo, AlertOutcome, AlertPolicy, AlertSignal
from ticket_core.convert import to_ticket
from ticket_core.domain import ALERT_CHANNEL, OPEN_STATUSES, InvalidValue, NewTicket, Ticket, TicketNotFound
from ticket_core.history import add_event
from ticket_core.policy import TicketPolicy
from ticket_core.schema import AlertRejectionRow, AlertRow, TicketRow

T = TypeVar("T")


class OutageMixin:
    """Mixed into :class:`ticket_core.TicketStore`, which provides the plumbing declared here."""

    policy: TicketPolicy
    _reads: sessionmaker[Session]

    def _write(self, work: Callable[[Session], T]) -> T:
        raise NotImplementedError

    def _now(self) -> datetime:
        raise NotImplementedError

    def _lock(self, s: Session, ref: str) -> TicketRow:
        raise NotImplementedError

    # -- parents, children, major incidents ------------------------------------------------------------
    def link_parent(self, child_ref: str, parent_ref: str, actor: str) -> Ticket:
        """Make ``parent_ref`` the parent of ``child_ref`` (both log a ``linked`` event); returns the child.
        Refuses a self-link, a cycle and a parent that is not open."""

        def work(s: Session) -> Ticket:
            now = self._now()
            parent = self._lock(s, parent_ref)
            child = self._lock(s, child_ref)
            links.link(s, child, parent, actor, now)
            return to_ticket(child)

        return self._write(work)

    def children(self, ref: str) -> list[Ticket]:
        """The tickets linked under ``ref``, oldest first."""
        with self._reads() as s:
            parent = s.scalar(select(TicketRow.id).where(TicketRow.reference == _ref(ref)))
            if parent is None:
                raise TicketNotFound(_ref(ref))
            stmt = select(TicketRow).where(TicketRow.parent_id == parent).order_by(TicketRow.id)
            rows = s.scalars(stmt).all()
            return [to_ticket(r) for r in rows]

    def active_outages(self, limit: int = 50) -> list[Ticket]:
        """Open major incidents and open tickets an alert filed, newest first: what a user's report is
        matched against, and what the web chat's banner shows."""
        with self._reads() as s:
            rows = s.scalars(
                select(TicketRow)
                .where(
                    TicketRow.status.in_(sorted(OPEN_STATUSES)),
                    or_(TicketRow.major_incident.is_(True), TicketRow.channel == ALERT_CHANNEL),
                )
                .order_by(TicketRow.created_at.desc(), TicketRow.id.desc())
                .limit(max(0, min(limit, 1000)))
            ).all()
            return [to_ticket(r) for r in rows]

    def declare_major_incident(
        self,
        target: str | NewTicket,
        children: Sequence[str] = (),
        actor: str = "system",
        idempotency_key: str | None = None,
    ) -> Ticket:
        """Mark the open ticket ``target`` (a reference), or file ``target`` (a :class:`NewTicket`), as a
        major incident and link each of ``children`` under it, in one transaction. Declaring again is
        harmless: links already in place are kept, and a filing with the same ``idempotency_key`` finds the
        ticket filed the first time."""
        prepared = filing.prepare(target, self.policy) if isinstance(target, NewTicket) else None
        wanted = list(dict.fromkeys(_ref(c) for c in children))

        def work(s: Session) -> Ticket:
            now = self._now()
            if prepared is None:
                assert isinstance(target, str)
                row = self._lock(s, target)
            else:
                found = None
                if idempotency_key is not None:
                    found = s.scalar(select(TicketRow).where(TicketRow.idempotency_key == idempotency_key))
                row = found or filing.insert(s, prepared, now, self.policy)
                row.idempotency_key = idempotency_key
                s.flush()
            if row.status not in OPEN_STATUSES:
                raise InvalidValue(
                    f"{row.reference} is {row.status}: only an open ticket can be a major incident"
                )
            if not row.major_incident:
                row.major_incident, row.updated_at = True, now
                add_event(s, row, "field_changed", {"field": "major_incident", "old": False, "new": True},
                          actor, now)
            for ref in wanted:
                links.link(s, self._lock(s, ref), row, actor, now)
            return to_ticket(row)

        return self._write(work)

    # -- alerts from monitoring (ticket_core/alerts.py) --------------------------------------------------
    def apply_alert(self, signal: AlertSignal, policy: AlertPolicy | None = None,
                    message_key: str | None = None) -> AlertOutcome:
        """Apply one alert (open, count, resolve, reopen, group) in one transaction. ``message_key`` is the
        inbox key of the message that carried it: applying the same message again changes nothing."""
        alerts.validate(signal)
        filing.prepare(signal.ticket, self.policy)  # a bad ticket fails here, naming the field
        chosen = policy or AlertPolicy()
        return self._write(lambda s: alerts.apply(s, signal, chosen, message_key, self._now(), self.policy))

    def mark_stale_alerts(
        self, policy: AlertPolicy | None = None, now: datetime | None = None
    ) -> list[AlertOutcome]:
        """Firing alerts whose resolution never came become stale (:func:`ticket_core.alerts.mark_stale`).
        Safe to run from several workers at once (rows another holds are skipped)."""
        at = values.aware(now, "now") if now is not None else self._now()
        return self._write(lambda s: alerts.mark_stale(s, policy or AlertPolicy(), at, self.policy))

    def get_alert(self, fingerprint: str) -> AlertInfo | None:
        with self._reads() as s:
            row = s.scalar(select(AlertRow).where(AlertRow.fingerprint == fingerprint))
            if row is None:
                return None
            ref = s.scalar(select(TicketRow.reference).where(TicketRow.id == row.ticket_id))
            return alerts.to_alert(row, str(ref))

    def list_alerts(self, status: str | None = None, limit: int = 100) -> list[AlertInfo]:
        """Alerts, most recently seen first."""
        stmt = select(AlertRow, TicketRow.reference).join(TicketRow, TicketRow.id == AlertRow.ticket_id)
        if status is not None:
            stmt = stmt.where(AlertRow.status == values.one_of(status, alerts.ALERT_STATUSES, "alert status"))
        stmt = stmt.order_by(AlertRow.last_seen_at.desc(), AlertRow.id.desc()).limit(max(0, min(limit, 1000)))
        with self._reads() as s:
            return [alerts.to_alert(row, ref) for row, ref in s.execute(stmt).all()]

    def record_alert_rejection(self, source: str, reason: str, body: bytes) -> str:
        """Keep an authenticated payload that could not be understood (its SHA-256 and its first 4 KiB, so
        a huge or hostile body costs little); returns the digest, which the 400 and the log also carry."""
        digest = hashlib.sha256(body).hexdigest()
        excerpt = body[:4096].decode("utf-8", "replace")
        row = AlertRejectionRow(source=source[:16], reason=reason[:2000], body_sha256=digest,
                                body_excerpt=excerpt, received_at=self._now())

        def work(s: Session) -> str:
            s.add(row)
            return digest

        return self._write(work)

    def alert_rejections(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._reads() as s:
            rows = s.scalars(select(AlertRejectionRow).order_by(AlertRejectionRow.id.desc())
                             .limit(max(0, min(limit, 1000)))).all()
            return [{"source": r.source, "reason": r.reason, "body_sha256": r.body_sha256,
                     "body_excerpt": r.body_excerpt, "received_at": r.received_at} for r in rows]


def _ref(ref: str) -> str:
    return ref.strip().upper()
