"""TicketStore: the ticket core's one entry point.

Synchronous on purpose: the async composition root calls it through ``asyncio.to_thread``. Every method
opens its own short session and returns frozen values, so the store is safe to share between threads and
callers never hold a session or an ORM object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ticket_core import filing, migrate, reports, sla_sync, values
from ticket_core.canned import CannedResponses
from ticket_core.convert import to_event, to_person, to_ticket
from ticket_core.domain import (
    IMPACTS,
    OPEN_STATUSES,
    PRIORITIES,
    RECORDABLE_EVENT_KINDS,
    STATUSES,
    TICKET_TYPES,
    URGENCIES,
    AttachmentLike,
    Event,
    InvalidValue,
    NewTicket,
    Person,
    Ticket,
    TicketNotFound,
    TrainingRow,
    is_first_response,
    priority_level,
)
from ticket_core.engine import make_engine, writer
from ticket_core.history import add_attachments, add_event, corrected_ticket_ids, set_status
from ticket_core.outages import OutageMixin
from ticket_core.people import person_id_for, upsert_person
from ticket_core.policy import TicketPolicy
from ticket_core.schema import EventRow, IdentityRow, PersonRow, TicketRow
from ticket_core.sla import SlaState

T = TypeVar("T")
_RETRIES = 4


def utcnow() -> datetime:
    return datetime.now(UTC)


class TicketStore(OutageMixin):
    def __init__(self, engine: Engine, policy: TicketPolicy, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._reads = sessionmaker(bind=engine, expire_on_commit=False)
        self._writes = sessionmaker(bind=writer(engine), expire_on_commit=False)
        self.policy = policy
        self._clock = clock
        self.canned = CannedResponses(engine, self._now)
        #: Called (from the writing thread) after every committed write: the live feed's prompt wake-up.
        #: Must be cheap and must not raise; other processes' writes are found by polling events_after.
        self.after_write: Callable[[], None] | None = None

    @classmethod
    def open(
        cls, url: str, policy: TicketPolicy | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> TicketStore:
        """Connect to ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``) and migrate to head."""
        engine = make_engine(url)
        try:
            migrate.upgrade(writer(engine))
        except Exception:
            engine.dispose()
            raise
        return cls(engine, policy or TicketPolicy(), clock or utcnow)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> TicketStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- people ---------------------------------------------------------------------------------------
    def upsert_person(
        self,
        channel: str,
        address: str,
        display_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> Person:
        def work(s: Session) -> Person:
            return to_person(
                upsert_person(
                    s, channel, address, display_name=display_name, email=email, phone=phone, now=self._now()
                )
            )

        return self._write(work)

    # -- tickets --------------------------------------------------------------------------------------
    def create_ticket(self, new: NewTicket, idempotency_key: str | None = None) -> Ticket:
        """File a ticket: reference, priority from the matrix, SLA due times, transcript and classification
        in the log. Status ``new``, or ``self_service_resolved`` for a report a KB article solved.

        ``idempotency_key`` is the key of the message that files it: filing again with the same key returns
        the ticket filed the first time (a unique index backs it, so two racing writers file one ticket)."""
        prepared = filing.prepare(new, self.policy)

        def work(s: Session) -> Ticket:
            if idempotency_key is not None:
                found = s.scalar(select(TicketRow).where(TicketRow.idempotency_key == idempotency_key))
                if found is not None:
                    return to_ticket(found)
            now = self._now()
            row = filing.insert(s, prepared, now, self.policy)
            row.idempotency_key = idempotency_key
            sla_sync.refresh(s, row, self.policy, now)
            return to_ticket(row)

        return self._write(work)

    def get(self, ref: str) -> Ticket | None:
        with self._reads() as s:
            row = s.scalar(select(TicketRow).where(TicketRow.reference == _ref(ref)))
            return to_ticket(row) if row is not None else None

    def get_for_requester(self, ref: str, channel: str, address: str) -> Ticket | None:
        """The ticket if it belongs to the person behind ``channel:address`` (any linked identity counts);
        None for a foreign or unknown reference alike, so nobody can probe for other people's tickets."""
        with self._reads() as s:
            row = s.scalar(
                select(TicketRow)
                .join(IdentityRow, IdentityRow.person_id == TicketRow.requester_id)
                .where(
                    TicketRow.reference == _ref(ref),
                    IdentityRow.channel == channel,
                    IdentityRow.address == address.strip(),
                )
            )
            return to_ticket(row) if row is not None else None

    def list_tickets(
        self,
        status: str | None = None,
        channel: str | None = None,
        category: str | None = None,
        q: str | None = None,
        requester: tuple[str, str] | None = None,
        open_only: bool = False,
        limit: int = 100,
        offset: int = 0,
        conversation_key: str | None = None,
        *,
        priority: str | None = None,
        assignee: str | None = None,
        type: str | None = None,
        language: str | None = None,
        needs_human: bool | None = None,
        sort: str = "-created_at",
    ) -> list[Ticket]:
        """Newest first unless ``sort`` says otherwise (``created_at``, ``resolution_due``,
        ``first_response_due``, ``-`` for descending; tickets without a due time sort last). ``q`` matches
        reference, title, description and the requester's name, e-mail, phone or channel address
        (case-insensitive substring). ``assignee=""`` lists unassigned tickets."""
        descending, field = sort.startswith("-"), sort.removeprefix("-")
        column = SORT_COLUMNS.get(field)
        if column is None:
            raise InvalidValue(
                f"sort must be one of {', '.join(SORT_COLUMNS)} (- for descending), got {sort!r}")
        order: list[Any] = (
            [column.desc(), TicketRow.id.desc()] if descending else [column.asc(), TicketRow.id.asc()]
        )
        if field != "created_at":
            order.insert(0, column.is_(None))  # tickets without a due time last
        stmt = select(TicketRow).order_by(*order)
        with self._reads() as s:
            where = self._where(s, requester, status=status, channel=channel, category=category, q=q,
                                open_only=open_only, conversation_key=conversation_key, priority=priority,
                                assignee=assignee, type=type, language=language, needs_human=needs_human)
            if where is None:
                return []
            rows = s.scalars(stmt.where(*where).limit(max(0, min(limit, 1000))).offset(max(0, offset))).all()
            return [to_ticket(r) for r in rows]

    def count_tickets(self, requester: tuple[str, str] | None = None, **filters: Any) -> int:
        """How many tickets :meth:`list_tickets` would list with the same filters and no limit."""
        with self._reads() as s:
            where = self._where(s, requester, **filters)
            if where is None:
                return 0
            return int(s.scalar(select(func.count()).select_from(TicketRow).where(*where)) or 0)

    @staticmethod
    def _where(
        s: Session,
        requester: tuple[str, str] | None,
        *,
        status: str | None = None,
        channel: str | None = None,
        category: str | None = None,
        q: str | None = None,
        open_only: bool = False,
        conversation_key: str | None = None,
        priority: str | None = None,
        assignee: str | None = None,
        type: str | None = None,
        language: str | None = None,
        needs_human: bool | None = None,
    ) -> list[Any] | None:
        """The conditions of a listing; None when it is certainly empty (an unknown requester)."""
        where: list[Any] = []
        if status is not None:
            where.append(TicketRow.status == values.one_of(status, STATUSES, "status"))
        if open_only:
            where.append(TicketRow.status.in_(sorted(OPEN_STATUSES)))
        if priority is not None:
            where.append(TicketRow.priority == values.one_of(priority, PRIORITIES, "priority"))
        if type is not None:
            where.append(TicketRow.type == values.one_of(type, TICKET_TYPES, "type"))
        if assignee is not None:
            where.append(TicketRow.assignee == assignee if assignee else TicketRow.assignee.is_(None))
        if language is not None:
            where.append(TicketRow.language == language)
        if needs_human is not None:
            where.append(TicketRow.needs_human.is_(bool(needs_human)))
        if channel is not None:
            where.append(TicketRow.channel == channel)
        if category is not None:
            where.append(TicketRow.category == category)
        if conversation_key is not None:
            where.append(TicketRow.conversation_key == conversation_key)
        if q and q.strip():
            pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            # The requester matches through one indexed-id subquery per table, not a join per row: the
            # people and identity tables are small next to the tickets.
            people = select(PersonRow.id).where(or_(*(
                col.ilike(pattern, escape="\\")
                for col in (PersonRow.display_name, PersonRow.email, PersonRow.phone))))
            addresses = select(IdentityRow.person_id).where(IdentityRow.address.ilike(pattern, escape="\\"))
            where.append(
                or_(
                    *(
                        col.ilike(pattern, escape="\\")
                        for col in (TicketRow.reference, TicketRow.title, TicketRow.description)
                    ),
                    TicketRow.requester_id.in_(people),
                    TicketRow.requester_id.in_(addresses),
                )
            )
        if requester is not None:
            person_id = person_id_for(s, *requester)
            if person_id is None:
                return None
            where.append(TicketRow.requester_id == person_id)
        return where

    # -- changes --------------------------------------------------------------------------------------
    def transition(self, ref: str, status: str, actor: str) -> Ticket:
        def work(s: Session) -> Ticket:
            now = self._now()
            row = self._lock(s, ref)
            set_status(s, row, status, actor, now, self.policy)
            sla_sync.refresh(s, row, self.policy, now)
            return to_ticket(row)

        return self._write(work)

    def update(
        self,
        ref: str,
        actor: str,
        *,
        status: str | None = None,
        priority: str | None = None,
        category: str | None = None,
        type: str | None = None,
        assignee: str | None = None,
        impact: str | None = None,
        urgency: str | None = None,
        needs_human: bool | None = None,
    ) -> Ticket:
        """An agent's edit. Each changed field is logged (``field_changed`` with old and new, or
        ``assigned``); a new impact or urgency recomputes the priority unless ``priority`` is given; a new
        priority moves the SLA due times. ``assignee=""`` unassigns. The reference keeps its prefix when the
        type changes."""
        changes: dict[str, Any] = {}
        if category is not None:
            changes["category"] = values.text(category, "category", 64)
        if type is not None:
            changes["type"] = values.one_of(type, TICKET_TYPES, "type")
        if impact is not None:
            changes["impact"] = values.one_of(impact, IMPACTS, "impact")
        if urgency is not None:
            changes["urgency"] = values.one_of(urgency, URGENCIES, "urgency")
        if priority is not None:
            changes["priority"] = values.one_of(priority, PRIORITIES, "priority")
        if needs_human is not None:
            changes["needs_human"] = bool(needs_human)
        if status is not None:
            values.one_of(status, STATUSES, "status")

        def work(s: Session) -> Ticket:
            now = self._now()
            row = self._lock(s, ref)
            fields = dict(changes)
            if "priority" not in fields and ("impact" in fields or "urgency" in fields):
                fields["priority"] = self.policy.priority(
                    fields.get("impact", row.impact), fields.get("urgency", row.urgency)
                )
            for name, new_value in fields.items():
                old = getattr(row, name)
                if old != new_value:
                    setattr(row, name, new_value)
                    add_event(
                        s, row, "field_changed", {"field": name, "old": old, "new": new_value}, actor, now
                    )
            if assignee is not None:
                new_assignee = values.optional_text(assignee, "assignee", 200)
                if new_assignee != row.assignee:
                    add_event(s, row, "assigned", {"old": row.assignee, "new": new_assignee}, actor, now)
                    row.assignee = new_assignee
            if status is not None and status != row.status:
                set_status(s, row, status, actor, now, self.policy)
            row.updated_at = now
            sla_sync.refresh(s, row, self.policy, now)  # a priority or category moves the targets
            return to_ticket(row)

        return self._write(work)

    def add_message(
        self,
        ref: str,
        direction: str,
        text: str,
        channel: str,
        actor: str,
        attachments: Sequence[AttachmentLike] = (),
        idempotency_key: str | None = None,
        bot_handled: bool = False,
    ) -> Ticket:
        """Log a message on the ticket. The requester answering a ``pending_user`` ticket puts it back in
        the queue: ``in_progress`` when someone is assigned, else ``open``. A message the bot answered
        itself (``bot_handled``: "thanks", "status") is logged for the record, marked so in its payload, and
        is no answer to the desk. With ``idempotency_key`` (the user message's key) a second call for the
        same message appends nothing."""
        direction = values.one_of(direction, ("in", "out"), "direction")

        def work(s: Session) -> Ticket:
            now = self._now()
            row = self._lock(s, ref)
            if idempotency_key is not None and s.scalar(
                select(EventRow.id).where(EventRow.idempotency_key == idempotency_key)
            ) is not None:
                return to_ticket(row)
            payload: dict[str, Any] = {"text": text, "channel": channel,
                                       "attachments": [a.name for a in attachments]}
            if bot_handled:
                payload["bot_handled"] = True
            event = add_event(s, row, f"message_{direction}", payload, actor, now, idempotency_key)
            if attachments:
                add_attachments(s, row, attachments, event, now)
            if direction == "in" and not bot_handled and row.status == "pending_user":
                set_status(s, row, "in_progress" if row.assignee else "open", actor, now, self.policy)
                sla_sync.refresh(s, row, self.policy, now)  # the requester answered: the clock resumes
            row.updated_at = now
            return to_ticket(row)

        return self._write(work)

    def merge(self, duplicate: str, into: str, actor: str) -> Ticket:
        """Merge ``duplicate`` into ``into``: both logs get a ``merged`` entry naming the other ticket and
        the duplicate is closed (reason ``merged``), in one transaction. Returns the closed duplicate.

        Closing (not resolving) is deliberate: the requester gets no CSAT question for a ticket nobody
        solved, and closed is final, so the duplicate cannot drift back into the queue. The requester's
        later messages on the duplicate reach the surviving ticket through :meth:`merged_into`."""
        dup_ref, into_ref = _ref(duplicate), _ref(into)
        if dup_ref == into_ref:
            raise InvalidValue("a ticket cannot be merged into itself")

        def work(s: Session) -> Ticket:
            now = self._now()
            dup, target = self._lock(s, dup_ref), self._lock(s, into_ref)
            if target.status == "closed":
                raise InvalidValue(f"{into_ref} is closed: merge into a ticket that is still open")
            add_event(s, dup, "merged", {"into": into_ref}, actor, now)
            add_event(s, target, "merged", {"from": dup_ref}, actor, now)
            set_status(s, dup, "closed", actor, now, self.policy, reason="merged")
            target.updated_at = now
            return to_ticket(dup)

        return self._write(work)

    def merged_into(self, ref: str) -> str | None:
        """The ticket ``ref`` was finally merged into (following chains of merges), or None."""
        current, seen = _ref(ref), set[str]()
        with self._reads() as s:
            while current not in seen:
                seen.add(current)
                payloads = s.scalars(
                    select(EventRow.payload)
                    .join(TicketRow, TicketRow.id == EventRow.ticket_id)
                    .where(TicketRow.reference == current, EventRow.kind == "merged")
                    .order_by(EventRow.id)
                ).all()
                into = [p["into"] for p in payloads if "into" in p]
                if not into:
                    break
                current = str(into[-1])
        return None if current == _ref(ref) else current

    def record_event(self, ref: str, kind: str, payload: Mapping[str, Any], actor: str) -> Event:
        """Append to the log (``RECORDABLE_EVENT_KINDS``: the kinds that describe a state change are written
        by the method that makes the change). There is deliberately no way to change or delete an event."""
        kind = values.one_of(kind, RECORDABLE_EVENT_KINDS, "recordable event kind")
        data = values.json_object(payload, "payload")

        def work(s: Session) -> Event:
            now = self._now()
            row = self._lock(s, ref)
            event = add_event(s, row, kind, data, actor, now)
            if row.first_responded_at is None and is_first_response(kind, data, actor):
                row.first_responded_at = now
                sla_sync.refresh(s, row, self.policy, now)
            return to_event(event, row.reference)

        return self._write(work)

    def events_after(self, after: int, limit: int = 500) -> list[Event]:
        """Every ticket's events with an id above ``after``, by id: the desk's live feed reads the log this
        way (in any process). On PostgreSQL a lower id can become visible after a higher one (transactions
        commit in any order): the reader must allow for gaps (atende/live.py)."""
        with self._reads() as s:
            rows = s.execute(
                select(EventRow, TicketRow.reference)
                .join(TicketRow, TicketRow.id == EventRow.ticket_id)
                .where(EventRow.id > after)
                .order_by(EventRow.id)
                .limit(max(1, min(limit, 5000)))
            ).all()
            return [to_event(row, ref) for row, ref in rows]

    def last_event_id(self) -> int:
        with self._reads() as s:
            return int(s.scalar(select(func.max(EventRow.id))) or 0)

    def events_of_kinds(self, kinds: Sequence[str], open_only: bool = True) -> list[Event]:
        """Events of these kinds on every (open) ticket, by id: e.g. the handoff history of the tickets the
        desk still works on."""
        with self._reads() as s:
            stmt = (
                select(EventRow, TicketRow.reference)
                .join(TicketRow, TicketRow.id == EventRow.ticket_id)
                .where(EventRow.kind.in_(list(kinds)))
                .order_by(EventRow.id)
            )
            if open_only:
                stmt = stmt.where(TicketRow.status.in_(sorted(OPEN_STATUSES)))
            return [to_event(row, ref) for row, ref in s.execute(stmt).all()]

    def append_if_latest(
        self, ref: str, kind: str, payload: Mapping[str, Any], actor: str, among: Sequence[str],
        latest_id: int | None,
    ) -> Event | None:
        """Append like :meth:`record_event`, but only if the ticket's newest event of the kinds ``among`` is
        still ``latest_id`` (None: there is none): a compare-and-append under the ticket's row lock, so two
        agents taking one conversation at once cannot both succeed. None when someone got there first."""
        kind = values.one_of(kind, RECORDABLE_EVENT_KINDS, "recordable event kind")
        data = values.json_object(payload, "payload")

        def work(s: Session) -> Event | None:
            row = self._lock(s, ref)
            newest = s.scalar(
                select(func.max(EventRow.id)).where(EventRow.ticket_id == row.id,
                                                    EventRow.kind.in_(list(among)))
            )
            if newest != latest_id:
                return None
            return to_event(add_event(s, row, kind, data, actor, self._now()), row.reference)

        return self._write(work)

    def events(self, ref: str) -> list[Event]:
        with self._reads() as s:
            ticket = s.scalar(select(TicketRow.id).where(TicketRow.reference == _ref(ref)))
            if ticket is None:
                raise TicketNotFound(_ref(ref))
            rows = s.scalars(select(EventRow).where(EventRow.ticket_id == ticket).order_by(EventRow.id)).all()
            return [to_event(r, _ref(ref)) for r in rows]

    def sla_state(self, ref: str, now: datetime | None = None) -> SlaState:
        """The ticket's SLA state at ``now`` (default: the store's clock), replayed from its log on the
        current SLA configuration: what the API and the console show."""
        at = values.aware(now, "now") if now is not None else self._now()
        with self._reads() as s:
            row = s.scalar(select(TicketRow).where(TicketRow.reference == _ref(ref)))
            if row is None:
                raise TicketNotFound(_ref(ref))
            return sla_sync.compute(s, row, self.policy, at)

    def refresh_sla(self, ref: str) -> Ticket:
        """Recompute and store the ticket's SLA state and due times now (after a calendar edit, or by the
        SLA scanner so listings show current elapsed times)."""

        def work(s: Session) -> Ticket:
            row = self._lock(s, ref)
            sla_sync.refresh(s, row, self.policy, self._now())
            return to_ticket(row)

        return self._write(work)

    def set_csat(self, ref: str, score: int, comment: str | None = None, actor: str = "requester") -> Ticket:
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidValue(f"CSAT score must be an integer from 1 to 5, got {score!r}")
        comment = values.optional_text(comment, "csat comment", 4000)

        def work(s: Session) -> Ticket:
            now = self._now()
            row = self._lock(s, ref)
            row.csat_score, row.csat_comment, row.updated_at = score, comment, now
            add_event(s, row, "csat", {"score": score, "comment": comment}, actor, now)
            return to_ticket(row)

        return self._write(work)

    def flag_human(self, ref: str, actor: str) -> Ticket:
        def work(s: Session) -> Ticket:
            now = self._now()
            row = self._lock(s, ref)
            row.needs_human, row.updated_at = True, now
            add_event(s, row, "human_requested", {}, actor, now)
            return to_ticket(row)

        return self._write(work)

    def auto_close(self, now: datetime | None = None) -> list[str]:
        """Close every ticket resolved longer than ``policy.auto_close_after`` ago; returns their references.
        Safe to run from several workers at once (locked rows are skipped, statuses re-checked)."""
        now = values.aware(now, "now") if now is not None else self._now()
        cutoff = now - self.policy.auto_close_after

        def work(s: Session) -> list[str]:
            rows = s.scalars(
                select(TicketRow)
                .where(TicketRow.status == "resolved", TicketRow.resolved_at < cutoff)
                .order_by(TicketRow.id)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                set_status(s, row, "closed", "system", now, self.policy, reason="auto_close")
                sla_sync.refresh(s, row, self.policy, now)
            return [r.reference for r in rows]

        return self._write(work)

    # -- reports --------------------------------------------------------------------------------------
    def report_summary(self, first: str | date, last: str | date, tz: str = "UTC") -> dict[str, Any]:
        """The desk's report over local days ``first``..``last`` in ``tz`` (docs/reports.md), computed by
        the database with aggregates; ``InvalidValue`` for a bad date, range or zone."""
        return reports.summary(self._engine, reports.make_period(first, last, tz, self._now()))

    # -- learning -------------------------------------------------------------------------------------
    def training_rows(self) -> list[TrainingRow]:
        """Every ticket with the labels the desk ended up with (after agents' corrections)."""
        with self._reads() as s:
            corrected = corrected_ticket_ids(s)
            rows = s.execute(
                select(
                    TicketRow.id,
                    TicketRow.reference,
                    TicketRow.title,
                    TicketRow.description,
                    TicketRow.category,
                    TicketRow.type,
                    TicketRow.priority,
                    TicketRow.language,
                    TicketRow.status,
                ).order_by(TicketRow.id)
            ).all()
        return [
            TrainingRow(
                reference=r.reference,
                text=_training_text(r.title, r.description),
                category=r.category,
                type=r.type,
                priority_level=priority_level(r.priority),
                corrected=r.id in corrected,
                language=r.language,
                status=r.status,
            )
            for r in rows
        ]

    # -- plumbing -------------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The store's clock (the wall clock, or the one a test handed to :meth:`open`)."""
        return self._now()

    def _now(self) -> datetime:
        return values.aware(self._clock(), "clock()").astimezone(UTC)

    def _lock(self, s: Session, ref: str) -> TicketRow:
        row = s.scalar(select(TicketRow).where(TicketRow.reference == _ref(ref)).with_for_update())
        if row is None:
            raise TicketNotFound(_ref(ref))
        return row

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction, retried when a concurrent writer won a unique-key race
        (two first messages from one new person), PostgreSQL chose us as a deadlock victim, or SQLite stayed
        busy past its timeout. ``work`` must be safe to run again (it is: nothing leaves the transaction)."""
        for attempt in range(_RETRIES):
            try:
                with self._session() as s:
                    result = work(s)
                if self.after_write is not None:
                    self.after_write()
                return result
            except (IntegrityError, OperationalError) as exc:
                if attempt == _RETRIES - 1 or not _retryable(exc):
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._writes() as s, s.begin():
            yield s


SORT_COLUMNS: dict[str, Any] = {
    "created_at": TicketRow.created_at,
    "resolution_due": TicketRow.resolution_due,
    "first_response_due": TicketRow.first_response_due,
}


def _retryable(exc: IntegrityError | OperationalError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in ("40001", "40P01") or "database is locked" in str(exc.orig)


def _ref(ref: str) -> str:
    return ref.strip().upper()


def _training_text(title: str, description: str) -> str:
    return title if description.strip() == title.strip() else f"{title}\n{description}"
