"""An in-memory TicketService honouring the port's contract, until ticket_core's adapter is wired in.

Contract points it keeps (and the dialog tests rely on): references per type (INC/REQ/PRB/CHG-000001), a
user only reaches their own tickets (a foreign reference behaves as not found), closed tickets take no
messages, open = not resolved/closed/self-service, priority from impact x urgency, SLA due times.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialog.messages import Attachment, Identity
from dialog.ports import TicketDraft, TicketSummary

PREFIX = {"incident": "INC", "request": "REQ", "problem": "PRB", "change": "CHG"}
MATRIX = {
    ("organization", "high"): "P1", ("organization", "medium"): "P2", ("organization", "low"): "P3",
    ("team", "high"): "P2", ("team", "medium"): "P3", ("team", "low"): "P4",
    ("individual", "high"): "P3", ("individual", "medium"): "P4", ("individual", "low"): "P5",
}
SLA_HOURS = {"P1": 4, "P2": 8, "P3": 24, "P4": 72, "P5": 120}
NOT_OPEN = {"resolved", "closed", "self_service_resolved"}


@dataclass
class FakeTicket:
    summary: TicketSummary
    draft: TicketDraft
    owner: str
    messages: list[tuple[str, tuple[Attachment, ...]]] = field(default_factory=list)
    outbound: list[str] = field(default_factory=list)
    csat: list[tuple[int, str | None]] = field(default_factory=list)
    kb_article_id: str | None = None

    def set(self, **changes: object) -> None:
        self.summary = dataclasses.replace(self.summary, **changes)  # type: ignore[arg-type]


class FakeTicketService:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._seq = 0
        self.tickets: dict[str, FakeTicket] = {}

    # helpers for tests

    @property
    def last(self) -> FakeTicket:
        return list(self.tickets.values())[-1]

    def set_status(self, ref: str, status: str) -> None:
        self.tickets[ref].set(status=status)

    def _own(self, ref: str, requester: Identity) -> FakeTicket | None:
        ticket = self.tickets.get(ref.upper())
        return ticket if ticket is not None and ticket.owner == requester.key else None

    def _new(self, draft: TicketDraft, status: str, article: str | None) -> TicketSummary:
        self._seq += 1
        ref = f"{PREFIX[draft.type]}-{self._seq:06d}"
        priority = MATRIX[(draft.impact, draft.urgency)]
        now = self._clock()
        summary = TicketSummary(ref, draft.title, status, priority, draft.category, draft.type, draft.channel,
                                now,
                                now + timedelta(hours=SLA_HOURS[priority]), now + timedelta(hours=1))
        self.tickets[ref] = FakeTicket(summary, draft, draft.requester.key, kb_article_id=article)
        return summary

    # the port

    async def create_ticket(self, draft: TicketDraft) -> TicketSummary:
        return self._new(draft, "new", None)

    async def record_self_service(self, draft: TicketDraft, article_id: str) -> TicketSummary:
        return self._new(draft, "self_service_resolved", article_id)

    async def add_message(self, reference: str, requester: Identity, text: str,
                          attachments: Sequence[Attachment] = ()) -> TicketSummary | None:
        ticket = self._own(reference, requester)
        if ticket is None or ticket.summary.status == "closed":
            return None
        ticket.messages.append((text, tuple(attachments)))
        return ticket.summary

    async def record_outbound(self, reference: str, text: str, channel: str) -> None:
        ticket = self.tickets.get(reference)
        if ticket is not None:
            ticket.outbound.append(text)

    async def get_ticket(self, reference: str, requester: Identity) -> TicketSummary | None:
        ticket = self._own(reference, requester)
        return ticket.summary if ticket else None

    async def list_open_tickets(self, requester: Identity) -> list[TicketSummary]:
        return [t.summary for t in self.tickets.values()
                if t.owner == requester.key and t.summary.status not in NOT_OPEN]

    async def close_ticket(self, reference: str, requester: Identity) -> TicketSummary | None:
        ticket = self._own(reference, requester)
        if ticket is None or ticket.summary.status == "closed":
            return None
        ticket.set(status="closed")
        return ticket.summary

    async def request_human(self, reference: str, requester: Identity) -> TicketSummary | None:
        ticket = self._own(reference, requester)
        if ticket is None:
            return None
        ticket.set(needs_human=True)
        return ticket.summary

    async def record_csat(self, reference: str, requester: Identity, score: int, comment: str | None) -> None:
        ticket = self._own(reference, requester)
        if ticket is not None:
            ticket.csat.append((score, comment))

    async def reopen_ticket(self, reference: str, requester: Identity) -> TicketSummary | None:
        ticket = self._own(reference, requester)
        if ticket is None or ticket.summary.status not in ("resolved", "closed"):
            return None
        ticket.set(status="open")
        return ticket.summary
