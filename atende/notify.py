"""Pushes what agents do to the requester, on the channel the ticket came from.

The engine words the message in the user's language (and, on resolution, asks for the CSAT rating); the
channel's Outbound delivers it. Every push lands in the ticket's event log as notification_sent or
notification_failed, so an agent can see that a requester was not reached.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connectors.base import AttributedOutbound, ChannelError, Outbound
from dialog.messages import Reply
from dialog.ports import TicketEvent

log = logging.getLogger(__name__)


class Notifier:
    def __init__(
        self,
        tickets: Any,
        notify: Callable[[str, TicketEvent], Awaitable[list[Reply]]],
        outbounds: Mapping[str, Outbound],
    ) -> None:
        self.tickets = tickets
        self.notify = notify
        self.outbounds = dict(outbounds)

    async def agent_reply(self, ticket: Any, text: str, actor: str) -> bool:
        # One agent_reply event carries the text and the agent; a message_out beside it would log it twice.
        await asyncio.to_thread(
            self.tickets.record_event,
            ticket.reference,
            "agent_reply",
            {"text": text, "channel": ticket.channel},
            actor,
        )
        return await self._push(ticket, "agent_reply", text=text, author=actor)

    async def status_changed(self, ticket: Any) -> bool:
        kind = "resolved" if ticket.status == "resolved" else "status_changed"
        return await self._push(ticket, kind, text=None)

    async def _push(self, ticket: Any, kind: Any, text: str | None, author: str | None = None) -> bool:
        if not ticket.conversation_key:
            await self._record(ticket, False, "ticket has no conversation to reach the requester")
            return False
        event = TicketEvent(
            kind=kind, reference=ticket.reference, status=ticket.status, text=text, author=author
        )
        replies: list[Reply] = list(await self.notify(ticket.conversation_key, event))
        if not replies:
            return False
        outbound = self.outbounds.get(ticket.channel)
        if outbound is None:
            await self._record(ticket, False, f"channel {ticket.channel} cannot push messages")
            return False
        try:
            if author and isinstance(outbound, AttributedOutbound):
                await outbound.send_from(ticket.conversation_key, replies, ticket.reference, author)
            else:
                await outbound.send(ticket.conversation_key, replies, ticket.reference)
        except ChannelError as exc:
            await self._record(ticket, False, str(exc), kind=kind)
            return False
        except Exception as exc:  # a connector bug must still leave a trace for the agent
            log.exception("push to %s failed", ticket.channel)
            await self._record(ticket, False, f"unexpected error: {exc}", kind=kind)
            return False
        await self._record(ticket, True, "", kind=kind, text="\n".join(r.text for r in replies))
        return True

    async def delivery_failed(self, conversation_key: str, channel: str, error: str) -> None:
        """A reply inside a conversation could not be delivered: log it on the user's open tickets."""
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

    async def _record(self, ticket: Any, ok: bool, error: str, kind: str = "", text: str = "") -> None:
        payload = {"channel": ticket.channel, "kind": kind}
        if ok:
            payload["text"] = text
        else:
            payload["error"] = error
        await asyncio.to_thread(
            self.tickets.record_event,
            ticket.reference,
            "notification_sent" if ok else "notification_failed",
            payload,
            "bot",
        )
