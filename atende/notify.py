"""Pushes what agents do to the requester, on the channel the ticket came from.

An agent action becomes a ticket event posted to the Inbox behind the user's own messages; the Dispatcher
has the engine word it in the user's language (on resolution it also asks for the CSAT rating) and delivers
it through the channel's Outbound. Every push lands in the ticket's event log as notification_sent or
notification_failed (this class is the Dispatcher's DeliveryLog), so an agent can see that a requester was
not reached.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from atende.observability import Metrics
from dialog.ports import TicketEvent
from ticket_core import ALERT_CHANNEL, TicketStore

if TYPE_CHECKING:
    from atende.dispatch import Inbox

log = logging.getLogger(__name__)

#: How long an agent's API call waits to report whether the push was delivered.
DELIVERY_WAIT_S = 10.0


class Notifier:
    def __init__(self, tickets: TicketStore, inbox: Inbox | None = None,
                 metrics: Metrics | None = None) -> None:
        self.tickets = tickets
        self.inbox = inbox
        self.metrics = metrics or Metrics()

    async def agent_reply(self, ticket: Any, text: str, actor: str, author: str | None = None) -> bool:
        """``actor`` goes on the log (the console's agent e-mail); the user sees ``author`` (the agent's
        name) when given, else the actor."""
        # One agent_reply event carries the text and the agent; a message_out beside it would log it twice.
        await asyncio.to_thread(
            self.tickets.record_event,
            ticket.reference,
            "agent_reply",
            {"text": text, "channel": ticket.channel},
            actor,
        )
        return await self._push(ticket, TicketEvent("agent_reply", ticket.reference, text=text,
                                                    status=ticket.status, author=author or actor))

    async def status_changed(self, ticket: Any) -> bool:
        """Tell the requester; when a parent (a major incident) was resolved, also tell the requester of each
        child the same change resolved, each on the child's own channel and conversation. Tickets monitoring
        opened (channel ``alert``) have nobody to tell."""
        kind = "resolved" if ticket.status == "resolved" else "status_changed"
        delivered = True
        if ticket.channel != ALERT_CHANNEL:
            delivered = await self._push(ticket, TicketEvent(kind, ticket.reference, status=ticket.status))
        done_at = ticket.resolved_at if ticket.status == "resolved" else ticket.closed_at
        if ticket.status in ("resolved", "closed") and done_at is not None:
            for child in await self._resolved_with(ticket.reference, done_at):
                # Not awaited for delivery: one agent action may reach hundreds of users behind an outage.
                event = TicketEvent("resolved", child.reference, status=child.status)
                await self._push(child, event, wait=None)
        return delivered

    async def handoff(self, ticket: Any, event: TicketEvent, *, wait: bool = True) -> bool:
        """A handoff taken, released or timed out (atende/handoff.py logged it on the ticket already)."""
        return await self._push(ticket, event, wait=DELIVERY_WAIT_S if wait else None)

    async def _resolved_with(self, parent: str, done_at: Any) -> list[Any]:
        """The descendants the parent's resolution resolved: ticket_core resolves them in the same
        transaction with the same timestamp, so an older, separate resolution is not announced again."""
        found: list[Any] = []
        pending = [parent]
        while pending:
            ref = pending.pop()
            for child in await asyncio.to_thread(self.tickets.children, ref):
                if child.status == "resolved" and child.resolved_at == done_at:
                    pending.append(child.reference)
                    if child.channel != ALERT_CHANNEL:
                        found.append(child)
        return found

    async def _push(self, ticket: Any, event: TicketEvent, wait: float | None = DELIVERY_WAIT_S) -> bool:
        """Queue the event for the requester's conversation; True when it was delivered within the wait."""
        if not ticket.conversation_key:
            await self._record(ticket.reference, False, ticket.channel, event.kind,
                               "ticket has no conversation to reach the requester")
            return False
        assert self.inbox is not None, "Notifier used before the runtime wired its Inbox"
        outcome = await self.inbox.post_event(ticket.conversation_key, event, channel=ticket.channel,
                                              wait=wait)
        return bool(outcome is not None and outcome.delivered)

    # --- the Dispatcher's DeliveryLog ---
    async def event_delivered(self, event: Mapping[str, Any], channel: str, ok: bool, detail: str) -> None:
        data = event.get("event") or {}
        if not ok:
            self.metrics.delivery_failed(channel)
        await self._record(str(data.get("reference")), ok, channel, str(data.get("kind")), detail)

    async def delivery_failed(self, conversation_key: str, channel: str, error: str) -> None:
        """A reply inside a conversation could not be delivered: log it on the user's open tickets."""
        self.metrics.delivery_failed(channel)
        tickets = await asyncio.to_thread(
            self.tickets.list_tickets, open_only=True, conversation_key=conversation_key
        )
        for t in tickets:
            await asyncio.to_thread(
                self.tickets.record_event,
                t.reference,
                "notification_failed",
                {"channel": channel, "error": error},
                "bot",
            )

    async def _record(self, reference: str, ok: bool, channel: str, kind: str, detail: str) -> None:
        payload = {"channel": channel, "kind": kind, ("text" if ok else "error"): detail}
        try:
            await asyncio.to_thread(
                self.tickets.record_event,
                reference,
                "notification_sent" if ok else "notification_failed",
                payload,
                "bot",
            )
        except Exception:
            log.exception("could not log the notification on %s", reference)
