"""Adapters from our domain packages to the engine's ports (dialog/ports.py).

ticket_core, classifier and kb_search know nothing of dialog; these classes translate between their
plain types and the port DTOs, and move blocking work off the event loop with asyncio.to_thread.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from atende.dispatch.context import current_message_key
from atende.logs import bind_ticket
from atende.observability import Metrics
from dialog.messages import Attachment, Identity
from dialog.ports import TicketDraft, TicketSummary
from ticket_core import TicketError, TicketStore
from ticket_core.domain import NewAttachment, NewTicket, RequesterIdentity, Ticket


def slugify(label: str) -> str:
    """'Billing and Payments' -> 'billing_and_payments': the category ids playbooks and the KB use."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


#: Prefix of the identity a report from an unverified sender is filed under: a person of its own, so the
#: claimed sender neither sees it among their tickets nor gets linked to whoever wrote it.
UNVERIFIED_PREFIX = "unverified:"


def _requester(identity: Identity) -> RequesterIdentity:
    if not identity.verified:
        return RequesterIdentity(
            channel=identity.channel,
            address=UNVERIFIED_PREFIX + identity.native_id,
            display_name=identity.display_name,
        )
    return RequesterIdentity(
        channel=identity.channel,
        address=identity.native_id,
        display_name=identity.display_name,
        email=identity.email,
        phone=identity.phone,
    )


def summary(t: Ticket) -> TicketSummary:
    return TicketSummary(
        reference=t.reference,
        title=t.title,
        status=t.status,
        priority=t.priority,
        category=t.category,
        type=t.type,
        channel=t.channel,
        created_at=t.created_at,
        resolution_due=t.resolution_due,
        first_response_due=t.first_response_due,
        needs_human=t.needs_human,
        kb_article_id=t.kb_article_id,
    )


def _attachments(items: Sequence[Attachment]) -> list[NewAttachment]:
    return [
        NewAttachment(name=a.name, content_type=a.content_type, size=a.size, path=a.path, url=a.url)
        for a in items
    ]


def _new_ticket(draft: TicketDraft, status: str) -> NewTicket:
    classification: dict[str, Any] | None = None
    if draft.classification is not None:
        c = draft.classification
        classification = {"model_version": c.model_version}
        for head in ("category", "type", "priority"):
            p = getattr(c, head)
            classification[head] = {
                "label": p.label,
                "confidence": round(p.confidence, 4),
                "top": [[lbl, round(prob, 4)] for lbl, prob in p.top],
            }
    return NewTicket(
        title=draft.title,
        description=draft.description,
        category=draft.category,
        type=draft.type,
        impact=draft.impact,
        urgency=draft.urgency,
        channel=draft.channel,
        requester=_requester(draft.requester),
        conversation_key=draft.conversation_key,
        language=draft.language,
        answers=dict(draft.answers),
        classification=classification,
        transcript=[(line.direction, line.text, line.at, line.option) for line in draft.transcript],
        attachments=_attachments(draft.attachments),
        kb_article_id=draft.kb_article_id,
        status=status,
        service=draft.service,
    )


#: How many identities the adapter remembers as already linked before it starts over (a bound, not a cache
#: policy: forgetting only costs one idempotent upsert).
_LINKED_MAX = 10_000


class TicketServiceAdapter:
    """Serves dialog.ports.TicketService from a ticket_core.TicketStore. A reference the requester does not
    own behaves exactly like one that does not exist."""

    def __init__(self, store: TicketStore, metrics: Metrics | None = None) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        self._linked: set[tuple[str, str, str | None, str | None]] = set()

    def _link(self, requester: Identity) -> None:
        """Attach an identity that carries verified contact data to the person it belongs to, before any
        lookup. ticket_core links identities when a ticket is filed; without this, someone who filed by
        e-mail and then writes on Slack (same verified profile address) would not see their tickets
        until they filed a new one. Identities without contact data have nothing to link by: no write."""
        if not requester.verified or not (requester.email or requester.phone):
            return
        key = (requester.channel, requester.native_id, requester.email, requester.phone)
        if key in self._linked:
            return
        try:
            self.store.upsert_person(
                requester.channel,
                requester.native_id,
                requester.display_name,
                requester.email,
                requester.phone,
            )
        except TicketError:
            return  # a malformed address links nothing; the identity stays a stranger
        if len(self._linked) >= _LINKED_MAX:
            self._linked.clear()
        self._linked.add(key)

    async def create_ticket(self, draft: TicketDraft) -> TicketSummary:
        # The key of the message being processed (set by the Dispatcher): processing it twice files once.
        key = current_message_key.get()
        new = _new_ticket(draft, "new")
        filed = summary(await asyncio.to_thread(self.store.create_ticket, new, key))
        self.metrics.ticket_filed(filed.channel, filed.category)
        bind_ticket(filed.reference)
        return filed

    async def record_self_service(self, draft: TicketDraft, article_id: str) -> TicketSummary:
        new = _new_ticket(draft, "self_service_resolved")
        return summary(await asyncio.to_thread(self.store.create_ticket, new, current_message_key.get()))

    def _own(self, reference: str, requester: Identity) -> Ticket | None:
        """The ticket when the requester owns it. An unverified sender (a From nobody vouched for) owns
        nothing: it may report, never read, append to, close or reopen a ticket of the address it claims."""
        if not requester.verified:
            return None
        self._link(requester)
        return self.store.get_for_requester(reference.upper(), requester.channel, requester.native_id)

    async def add_message(
        self, reference: str, requester: Identity, text: str, attachments: Sequence[Attachment] = ()
    ) -> TicketSummary | None:
        key = current_message_key.get()

        def run() -> Ticket | None:
            own = self._own(reference, requester)
            if own is not None and own.status == "closed":
                # A duplicate an agent merged: the message goes to the surviving ticket when it is the
                # requester's own too (a merge across requesters must not let one write on another's).
                survivor = self.store.merged_into(own.reference)
                own = self._own(survivor, requester) if survivor else None
            if own is None or own.status == "closed":
                return None  # closed is final: the engine then treats the message as a new report
            return self.store.add_message(
                own.reference,
                "in",
                text,
                requester.channel,
                f"requester:{requester.key}",
                _attachments(attachments),
                idempotency_key=key,
            )

        t = await asyncio.to_thread(run)
        return summary(t) if t else None

    async def record_inbound(self, reference: str, requester: Identity, text: str) -> None:
        key = current_message_key.get()

        def run() -> None:
            own = self._own(reference, requester)
            if own is not None and own.is_open:
                self.store.add_message(own.reference, "in", text, requester.channel,
                                       f"requester:{requester.key}", idempotency_key=key, bot_handled=True)

        await asyncio.to_thread(run)

    async def record_outbound(self, reference: str, text: str, channel: str) -> None:
        await asyncio.to_thread(self.store.add_message, reference, "out", text, channel, "bot")

    async def get_ticket(self, reference: str, requester: Identity) -> TicketSummary | None:
        t = await asyncio.to_thread(self._own, reference, requester)
        return summary(t) if t else None

    async def list_open_tickets(self, requester: Identity) -> list[TicketSummary]:
        def run() -> list[Ticket]:
            if not requester.verified:
                return []
            self._link(requester)
            return self.store.list_tickets(requester=(requester.channel, requester.native_id), open_only=True)

        return [summary(t) for t in await asyncio.to_thread(run)]

    async def close_ticket(self, reference: str, requester: Identity) -> TicketSummary | None:
        def run() -> Ticket | None:
            if self._own(reference, requester) is None:
                return None
            return self.store.transition(reference.upper(), "closed", f"requester:{requester.key}")

        try:
            t = await asyncio.to_thread(run)
        except TicketError:
            return None
        return summary(t) if t else None

    async def request_human(self, reference: str, requester: Identity) -> TicketSummary | None:
        def run() -> Ticket | None:
            own = self._own(reference, requester)
            if own is None or not own.is_open:
                return own  # nobody works a finished ticket: the engine sees its status and files anew
            self.store.flag_human(reference.upper(), f"requester:{requester.key}")
            return self.store.get(reference.upper())

        t = await asyncio.to_thread(run)
        return summary(t) if t else None

    async def record_csat(self, reference: str, requester: Identity, score: int, comment: str | None) -> None:
        def run() -> None:
            if self._own(reference, requester) is not None:
                self.store.set_csat(reference.upper(), score, comment)

        await asyncio.to_thread(run)

    async def reopen_ticket(self, reference: str, requester: Identity) -> TicketSummary | None:
        def run() -> Ticket | None:
            own = self._own(reference, requester)
            if own is None or own.is_open:
                # Only a resolution is reopened: moving a ticket someone works on back to "open" would
                # hand it back to the queue behind the agent's back.
                return None
            return self.store.transition(reference.upper(), "open", f"requester:{requester.key}")

        try:
            t = await asyncio.to_thread(run)
        except TicketError:
            return None
        return summary(t) if t else None
