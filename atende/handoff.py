"""Handoff to a person: an agent takes a ticket's conversation, chats live, hands it back to the bot.

The ticket's log is the record the desk sees (who took it, when, who handed it back): ``human_requested``
(the user asked), ``handoff_taken``, ``handoff_released``, ``handoff_timed_out``, each with its actor. The
conversation learns of each as a TicketEvent posted to the Inbox, so it is ordered with the user's own
messages; from the take on, the engine keeps the bot silent in that conversation (dialog/engine.py
``handle``) until the release or the ticket's resolution.

Two agents taking at once: the take is a compare-and-append on the ticket's handoff history
(``TicketStore.append_if_latest``), so exactly one succeeds and the other gets :class:`Conflict`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from atende.api import picked_up
from dialog.ports import TicketEvent
from ticket_core import Event, Ticket

if TYPE_CHECKING:
    from atende.runtime import Runtime

log = logging.getLogger(__name__)

#: The ticket events that make up a handoff's history, oldest first; a resolution or closure ends it too
#: (the conversation drops it then), so a reopened ticket does not come back as "live".
HANDOFF_KINDS = ("human_requested", "handoff_taken", "handoff_released", "handoff_timed_out")
HISTORY_KINDS = (*HANDOFF_KINDS, "status_changed")
FINISHED = ("resolved", "closed", "self_service_resolved")


class HandoffError(Exception):
    status_code = 409


class NotFound(HandoffError):
    status_code = 404


class Conflict(HandoffError):
    """Taken by someone else, nothing to hand back, or a ticket with no conversation to take."""


@dataclass(frozen=True, slots=True)
class Handoff:
    """One ticket's handoff now: ``waiting`` (the user asked for a person) or ``live`` (``agent`` took
    it; ``agent_name`` is what the user was told). ``last_event_id``: the history's newest event."""

    reference: str
    status: str
    since: datetime
    agent: str | None = None
    agent_name: str | None = None
    timed_out: bool = False
    last_event_id: int = 0
    ticket: Ticket | None = None

    def to_json(self) -> dict[str, Any]:
        t = self.ticket
        data: dict[str, Any] = {
            "reference": self.reference, "status": self.status, "since": self.since.isoformat(),
            "agent": self.agent, "agent_name": self.agent_name, "timed_out": self.timed_out,
        }
        if t is not None:
            data.update({"title": t.title, "channel": t.channel, "language": t.language,
                         "priority": t.priority, "ticket_status": t.status, "assignee": t.assignee,
                         "requester": t.requester.display_name, "category": t.category})
        return data


def fold(events: Iterable[Event]) -> dict[str, Handoff]:
    """The current handoff per ticket from its handoff history (events in id order)."""
    now: dict[str, Handoff] = {}
    for e in events:
        cur = now.get(e.reference)
        if e.kind == "human_requested":
            if cur is None or cur.status != "live":
                now[e.reference] = Handoff(e.reference, "waiting", e.at, last_event_id=e.id)
                continue
        elif e.kind == "handoff_timed_out":
            if cur is not None and cur.status == "waiting":
                now[e.reference] = replace(cur, timed_out=True)
                cur = now[e.reference]
        elif e.kind == "handoff_taken":
            name = str(e.payload.get("name") or e.actor)
            now[e.reference] = Handoff(e.reference, "live", e.at, e.actor, name, last_event_id=e.id)
            continue
        elif e.kind == "handoff_released" or (e.kind == "status_changed" and e.payload.get("to") in FINISHED):
            now.pop(e.reference, None)
            continue
        if e.reference in now:
            now[e.reference] = replace(now[e.reference], last_event_id=e.id)
    return now


async def current(runtime: Runtime, ref: str) -> tuple[Ticket, Handoff | None, int | None]:
    """The ticket, its handoff now (None: none), and the id of its newest handoff event (for the
    compare-and-append)."""
    store = runtime.tickets
    ticket = await asyncio.to_thread(store.get, ref)
    if ticket is None:
        raise NotFound(f"ticket {ref} not found")
    events = [e for e in await asyncio.to_thread(store.events, ticket.reference) if e.kind in HISTORY_KINDS]
    found = fold(events).get(ticket.reference)
    if found is not None and found.status == "waiting" and not ticket.needs_human:
        found = None  # an agent answered on the ticket meanwhile: nobody is waiting any more
    return ticket, (replace(found, ticket=ticket) if found else None), (events[-1].id if events else None)


async def handoffs(runtime: Runtime) -> list[Handoff]:
    """Every open ticket's current handoff, oldest first. A waiting one whose ticket no longer needs a
    human (an agent replied on it) is not listed."""
    store = runtime.tickets
    events = await asyncio.to_thread(store.events_of_kinds, HISTORY_KINDS, True)
    found: list[Handoff] = []
    for h in fold(events).values():
        ticket = await asyncio.to_thread(store.get, h.reference)
        if ticket is None or not ticket.is_open or (h.status == "waiting" and not ticket.needs_human):
            continue
        found.append(replace(h, ticket=ticket))
    return sorted(found, key=lambda h: h.since)


async def waiting(runtime: Runtime) -> list[Handoff]:
    return [h for h in await handoffs(runtime) if h.status == "waiting"]


async def live(runtime: Runtime) -> list[Handoff]:
    return [h for h in await handoffs(runtime) if h.status == "live"]


async def take(runtime: Runtime, ref: str, agent_actor: str, agent_name: str, *,
               force: bool = False) -> tuple[Handoff, bool]:
    """The agent takes the ticket's conversation (waiting, or any open ticket with a conversation): the
    user is told "<name> from the service desk has joined" and the bot goes silent. Taking one another
    agent has live is a Conflict unless ``force``. Taking one's own again changes nothing. Returns the
    handoff and whether the announcement was delivered."""
    ticket, now, latest = await current(runtime, ref)
    if not ticket.is_open:
        raise Conflict(f"{ticket.reference} is {ticket.status}: reopen it first")
    if not ticket.conversation_key:
        raise Conflict(f"{ticket.reference} has no conversation to join (reply on the ticket instead)")
    if ticket.channel not in runtime.dispatcher.outbounds:  # a phone call, a channel not configured here
        raise Conflict(f"{ticket.reference} came by {ticket.channel}, which cannot carry a live chat")
    if now is not None and now.status == "live":
        if now.agent == agent_actor:
            return now, True
        if not force:
            raise Conflict(f"{ticket.reference} is already taken by {now.agent_name or now.agent}")
    payload: dict[str, Any] = {"name": agent_name, "channel": ticket.channel, "forced": bool(force)}
    if now is not None and now.status == "live":
        payload["previous"] = now.agent
    store = runtime.tickets
    event = await asyncio.to_thread(store.append_if_latest, ticket.reference, "handoff_taken", payload,
                                    agent_actor, HISTORY_KINDS, latest)
    if event is None:
        raise Conflict(f"{ticket.reference}: someone else acted on this handoff just now; look again")
    changes: dict[str, Any] = {"assignee": agent_actor, "needs_human": False}
    if ticket.status == "new":
        changes["status"] = "open"
    ticket = await asyncio.to_thread(lambda: store.update(ticket.reference, agent_actor, **changes))
    delivered = await runtime.notifier.handoff(ticket, TicketEvent("handoff_taken", ticket.reference,
                                                                   author=agent_name))
    return Handoff(ticket.reference, "live", event.at, agent_actor, agent_name, last_event_id=event.id,
                   ticket=ticket), delivered


async def release(runtime: Runtime, ref: str, agent_actor: str, agent_name: str | None = None) -> bool:
    """Hand the conversation back to the bot (any agent may: a supervisor ends a forgotten chat), or
    dismiss a waiting request. The user is told they are back with the assistant. Returns whether that
    was delivered; Conflict when there is no handoff."""
    ticket, now, latest = await current(runtime, ref)
    if now is None:
        raise Conflict(f"{ticket.reference} has no handoff to end")
    store = runtime.tickets
    payload = {"name": agent_name or agent_actor, "was": now.status, "taken_by": now.agent}
    event = await asyncio.to_thread(store.append_if_latest, ticket.reference, "handoff_released", payload,
                                    agent_actor, HISTORY_KINDS, latest)
    if event is None:
        raise Conflict(f"{ticket.reference}: someone else acted on this handoff just now; look again")
    if ticket.needs_human:
        ref = ticket.reference
        ticket = await asyncio.to_thread(lambda: store.update(ref, agent_actor, needs_human=False))
    if not ticket.conversation_key:
        return False
    return await runtime.notifier.handoff(ticket, TicketEvent("handoff_released", ticket.reference,
                                                              author=agent_name or agent_actor))


async def say(runtime: Runtime, ref: str, agent_actor: str, text: str, agent_name: str | None = None) -> bool:
    """A message of the live chat (or any public reply): pushed to the user's channel as the agent's
    words, logged as agent_reply. Returns whether it was delivered."""
    ticket = await asyncio.to_thread(runtime.tickets.get, ref)
    if ticket is None:
        raise NotFound(f"ticket {ref} not found")
    delivered = await runtime.notifier.agent_reply(ticket, text, agent_name or agent_actor)
    await asyncio.to_thread(picked_up, runtime.tickets, ticket, agent_actor)
    return delivered


async def expire(runtime: Runtime, now: datetime | None = None) -> list[str]:
    """Tell each user whose handoff nobody took within ATENDE_HANDOFF_TIMEOUT_MINUTES, once, that the desk
    will answer on the ticket (with the desk's hours). Safe to run in several processes at once: the
    compare-and-append lets one of them log and send it. Returns the references told."""
    now = now or datetime.now(UTC)
    limit = timedelta(minutes=runtime.settings.handoff_timeout_minutes)
    told: list[str] = []
    for h in await waiting(runtime):
        if h.timed_out or now - h.since < limit or h.ticket is None or not h.ticket.conversation_key:
            continue
        event = await asyncio.to_thread(
            runtime.tickets.append_if_latest, h.reference, "handoff_timed_out",
            {"minutes": runtime.settings.handoff_timeout_minutes}, "system", HISTORY_KINDS, h.last_event_id)
        if event is None:
            continue
        await runtime.notifier.handoff(h.ticket, TicketEvent("handoff_timed_out", h.reference), wait=False)
        told.append(h.reference)
    return told


async def timeout_loop(runtime: Runtime) -> None:
    """:func:`expire` every little while; in the scaled mode once cluster-wide, under a lease (like
    auto-close in atende/runtime.py)."""
    period = max(5.0, min(60.0, runtime.settings.handoff_timeout_minutes * 60 / 4))
    while True:
        try:
            if runtime.lease is None or await runtime.lease.acquire("handoff-timeout", period * 1.5):
                told = await expire(runtime)
                if told:
                    log.info("told %d users nobody took their handoff in time", len(told))
        except Exception:
            log.exception("handoff timeout check failed")
        await asyncio.sleep(period)
