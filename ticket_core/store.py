"""TicketStore: the ticket core's one entry point.

Synchronous on purpose: the async composition root calls it through ``asyncio.to_thread``. Every method
opens its own short session and returns frozen values, so the store is safe to share between threads and
callers never hold a session or an ORM object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ticket_core import filing, migrate, values
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
    priority_level,
)
from ticket_core.engine import make_engine, writer
from ticket_core.history import add_attachments, add_event, corrected_ticket_ids, set_status
from ticket_core.outages import OutageMixin
from ticket_core.people import person_id_for, upsert_person
from ticket_core.policy import TicketPolicy
from ticket_core.schema import EventRow, IdentityRow, TicketRow

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
            row = filing.insert(s, prepared, self._now(), self.policy)
            row.idempotency_key = idempotency_key
            s.flush()
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
        """Newest first unless ``sort`` says otherwise (``created_at``, ``resolution_due``, ``-`` for
        descending; tickets without a due time sort last). ``q`` matches reference, title and description
        (case-insensitive substring). ``assignee=""`` lists unassigned tickets."""
        descending, field = sort.startswith("-"), sort.removeprefix("-")
        column = {"created_at": TicketRow.created_at, "resolution_due": TicketRow.resolution_due}.get(field)
        if column is None:
            raise InvalidValue(f"sort must be created_at or resolution_due (- for descending), got {sort!r}")
        order: list[Any] = (
            [column.desc(), TicketRow.id.desc()] if descending else [column.asc(), TicketRow.id.asc()]
        )
        if field == "resolution_due":
            order.insert(0, TicketRow.resolution_due.is_(None))  # tickets without a due time last
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
            where.append(
                or_(
                    *(
                        col.ilike(pattern, escape="\\")
                        for col in (TicketRow.reference, TicketRow.title, TicketRow.description)
                    )
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
            row = self._lock(s, ref)
            set_status(s, row, status, actor, self._now(), self.policy)
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
                    if name == "priority" and row.status != "self_service_resolved":
                        row.first_response_due, row.resolution_due = self.policy.due_times(
                            new_value, row.created_at
                        )
            if assignee is not None:
                new_assignee = values.optional_text(assignee, "assignee", 200)
                if new_assignee != row.assignee:
                    add_event(s, row, "assigned", {"old": row.assignee, "new": new_assignee}, actor, now)
                    row.assignee = new_assignee
            if status is not None and status != row.status:
                set_status(s, row, status, actor, now, self.policy)
            row.updated_at = now
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
    ) -> Ticket:
        """Log a message on the ticket. The requester answering a ``pending_user`` ticket puts it back in
        the queue: ``in_progress`` when someone is assigned, else ``open``. With ``idempotency_key`` (the
        user message's key) a second call for the same message appends nothing."""
        direction = values.one_of(direction, ("in", "out"), "direction")

        def work(s: Session) -> Ticket:
            now = self._now()
            row = self._lock(s, ref)
            if idempotency_key is not None and s.scalar(
                select(EventRow.id).where(EventRow.idempotency_key == idempotency_key)
            ) is not None:
                return to_ticket(row)
            event = add_event(
                s,
                row,
                f"message_{direction}",
                {"text": text, "channel": channel, "attachments": [a.name for a in attachments]},
                actor,
                now,
                idempotency_key,
            )
            if attachments:
                add_attachments(s, row, attachments, event, now)
            if direction == "in" and row.status == "pending_user":
                set_status(s, row, "in_progress" if row.assignee else "open", actor, now, self.policy)
            row.updated_at = now
            return to_ticket(row)

        return self._write(work)

    def record_event(self, ref: str, kind: str, payload: Mapping[str, Any], actor: str) -> Event:
        """Append to the log (``RECORDABLE_EVENT_KINDS``: the kinds that describe a state change are written
        by the method that makes the change). There is deliberately no way to change or delete an event."""
        kind = values.one_of(kind, RECORDABLE_EVENT_KINDS, "recordable event kind")
        data = values.json_object(payload, "payload")

        def work(s: Session) -> Event:
            row = self._lock(s, ref)
            return to_event(add_event(s, row, kind, data, actor, self._now()), row.reference)

        return self._write(work)

    def events(self, ref: str) -> list[Event]:
        with self._reads() as s:
            ticket = s.scalar(select(TicketRow.id).where(TicketRow.reference == _ref(ref)))
            if ticket is None:
                raise TicketNotFound(_ref(ref))
            rows = s.scalars(select(EventRow).where(EventRow.ticket_id == ticket).order_by(EventRow.id)).all()
            return [to_event(r, _ref(ref)) for r in rows]

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
            return [r.reference for r in rows]

        return self._write(work)

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
                    return work(s)
            except (IntegrityError, OperationalError) as exc:
                if attempt == _RETRIES - 1 or not _retryable(exc):
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._writes() as s, s.begin():
            yield s


def _retryable(exc: IntegrityError | OperationalError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in ("40001", "40P01") or "database is locked" in str(exc.orig)


def _ref(ref: str) -> str:
    return ref.strip().upper()


def _training_text(title: str, description: str) -> str:
    return title if description.strip() == title.strip() else f"{title}\n{description}"
