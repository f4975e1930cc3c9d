"""Turning an intake result (:class:`NewTicket`) into a stored ticket: validation first, outside any
transaction, then one insert with its reference, SLA due times and opening log entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ticket_core import lifecycle, values
from ticket_core.domain import (
    IMPACTS,
    PRIORITIES,
    REFERENCE_PREFIX,
    TICKET_TYPES,
    URGENCIES,
    NewTicket,
)
from ticket_core.history import add_attachments, add_event
from ticket_core.people import upsert_person
from ticket_core.policy import TicketPolicy
from ticket_core.schema import CounterRow, TicketRow


@dataclass(frozen=True, slots=True)
class Filing:
    """A validated :class:`NewTicket`: every column value checked and normalised."""

    new: NewTicket
    columns: dict[str, Any]
    transcript: list[tuple[str, str, datetime, str | None]]


def prepare(new: NewTicket, policy: TicketPolicy) -> Filing:
    impact = values.one_of(new.impact, IMPACTS, "impact")
    urgency = values.one_of(new.urgency, URGENCIES, "urgency")
    title = values.text(new.title, "title", 300, truncate=True)
    columns: dict[str, Any] = {
        "type": values.one_of(new.type, TICKET_TYPES, "type"),
        "impact": impact,
        "urgency": urgency,
        "status": values.one_of(new.status, lifecycle.INITIAL_STATUSES, "initial status"),
        "priority": values.one_of(new.priority, PRIORITIES, "priority")
        if new.priority
        else policy.priority(impact, urgency),
        "title": title,
        "description": (new.description or "").strip() or title,
        "category": values.text(new.category, "category", 64),
        "channel": values.text(new.channel, "channel", 32),
        "language": values.optional_text(new.language, "language", 16),
        "conversation_key": values.optional_text(new.conversation_key, "conversation_key", 320),
        "kb_article_id": values.optional_text(new.kb_article_id, "kb_article_id", 200),
        "service": values.optional_text(new.service, "service", 200),
        "answers": values.json_object(new.answers, "answers"),
        "classification": values.json_object(new.classification, "classification")
        if new.classification
        else None,
    }
    transcript = [
        (values.one_of(line[0], ("in", "out"), "transcript direction"), line[1],
         values.aware(line[2], "transcript at"),
         values.optional_text(line[3], "transcript option", 200) if len(line) > 3 else None)
        for line in new.transcript
    ]
    return Filing(new, columns, transcript)


def insert(s: Session, filing: Filing, now: datetime, policy: TicketPolicy) -> TicketRow:
    """Insert the ticket and its opening log: transcript, ``created``, ``classified``, ``kb_linked``."""
    c = filing.columns
    who = filing.new.requester
    person = upsert_person(
        s, who.channel, who.address, display_name=who.display_name, email=who.email, phone=who.phone, now=now
    )
    self_service = c["status"] == "self_service_resolved"
    first_due, resolution_due = (None, None) if self_service else policy.due_times(c["priority"], now)
    row = TicketRow(
        **c,
        reference=next_reference(s, REFERENCE_PREFIX[c["type"]]),
        requester=person,
        needs_human=False,
        major_incident=False,
        created_at=now,
        updated_at=now,
        first_response_due=first_due,
        resolution_due=resolution_due,
        resolved_at=now if self_service else None,
    )
    s.add(row)
    s.flush()
    for direction, text, at, option in filing.transcript:
        actor = "requester" if direction == "in" else "bot"
        payload = {"text": text, "channel": c["channel"]}
        if option is not None:
            payload["option"] = option  # the label the user saw is the text; the id stays alongside
        add_event(s, row, f"message_{direction}", payload, actor, at)
    summary = {k: c[k] for k in ("status", "priority", "channel", "category", "type")}
    add_event(s, row, "created", summary, "bot", now)
    if filing.new.attachments:
        add_attachments(s, row, filing.new.attachments, None, now)
    if c["classification"] is not None:
        add_event(s, row, "classified", c["classification"], "bot", now)
    if c["kb_article_id"]:
        add_event(s, row, "kb_linked", {"article_id": c["kb_article_id"], "solved": self_service}, "bot", now)
    return row


def next_reference(s: Session, prefix: str) -> str:
    """Increment the prefix's counter row. The UPDATE takes the row lock (PostgreSQL) or the database write
    lock (SQLite) until commit, so concurrent creators get consecutive, never repeated numbers."""
    s.execute(
        update(CounterRow)
        .where(CounterRow.prefix == prefix)
        .values(value=CounterRow.value + 1)
        .execution_options(synchronize_session=False)
    )
    value = s.scalar(select(CounterRow.value).where(CounterRow.prefix == prefix))
    if value is None:
        raise RuntimeError(f"reference counter {prefix} is missing; was the schema migrated?")
    return f"{prefix}-{value:06d}"
