"""ORM rows to the frozen values callers get: nothing returned by the store keeps a session alive."""

from __future__ import annotations

from typing import Any

from ticket_core.domain import AttachmentInfo, ChannelIdentity, Event, Person, Ticket
from ticket_core.schema import AttachmentRow, EventRow, PersonRow, TicketRow


def to_person(row: PersonRow) -> Person:
    return Person(
        id=row.id,
        display_name=row.display_name,
        email=row.email,
        phone=row.phone,
        identities=tuple(ChannelIdentity(i.channel, i.address) for i in row.identities),
    )


def to_attachment(row: AttachmentRow) -> AttachmentInfo:
    return AttachmentInfo(
        id=row.id,
        name=row.name,
        content_type=row.content_type,
        size=row.size,
        path=row.path,
        url=row.url,
        created_at=row.created_at,
    )


def to_ticket(row: TicketRow) -> Ticket:
    return Ticket(
        id=row.id,
        reference=row.reference,
        title=row.title,
        description=row.description,
        category=row.category,
        type=row.type,
        impact=row.impact,
        urgency=row.urgency,
        priority=row.priority,
        status=row.status,
        language=row.language,
        requester=to_person(row.requester),
        channel=row.channel,
        conversation_key=row.conversation_key,
        assignee=row.assignee,
        needs_human=row.needs_human,
        created_at=row.created_at,
        updated_at=row.updated_at,
        first_response_due=row.first_response_due,
        resolution_due=row.resolution_due,
        kb_article_id=row.kb_article_id,
        classification=_copy(row.classification) if row.classification is not None else None,
        answers=_copy(row.answers),
        csat_score=row.csat_score,
        csat_comment=row.csat_comment,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        attachments=tuple(to_attachment(a) for a in row.attachments),
        parent_reference=row.parent.reference if row.parent_id is not None and row.parent else None,
        major_incident=bool(row.major_incident),
        service=row.service,
        first_responded_at=row.first_responded_at,
        sla=_copy(row.sla) if row.sla is not None else None,
    )


def to_event(row: EventRow, reference: str) -> Event:
    return Event(
        id=row.id, reference=reference, kind=row.kind, payload=_copy(row.payload), actor=row.actor, at=row.at
    )


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    return dict(value)
