"""The SLA scanner: every ``ATENDE_SLA_SCAN_SECONDS`` it finds the warning levels and breaches open tickets
have reached, claims each in the ledger (exactly once, even with several workers racing), sends it through
the desk notifier and records the outcome. Claims whose sender died are taken over and retried.

In the scaled mode the runtime runs it under the ``sla-scan`` lease, so normally one process scans; the
ledger's unique claim keeps it exactly-once even when two do (a lease handover, a paused holder).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, timedelta

from atende.sla.notifier import DeskNotifier
from ticket_core import TicketStore
from ticket_core.sla_ledger import Claim, SlaLedger, SlaNotification

log = logging.getLogger(__name__)

#: Stored SLA states refreshed per scan at most (the rest follow in the next scans).
STALE_PER_SCAN = 500
TARGET_LABELS = {"first_response": "first response", "resolution": "resolution"}


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SlaScanner:
    def __init__(self, tickets: TicketStore, notifier: DeskNotifier, *, worker: str | None = None,
                 retry_after: timedelta = timedelta(minutes=3), max_attempts: int = 3) -> None:
        self.tickets = tickets
        self.ledger = SlaLedger(tickets, max_attempts=max_attempts)
        self.notifier = notifier
        self.worker = worker or default_worker()
        #: A claim still ``claimed`` this long after it was made (or last retried) is taken over: its
        #: sender died, or its send failed. Much longer than a send with its retries takes.
        self.retry_after = retry_after

    async def scan_once(self, now: datetime | None = None) -> list[SlaNotification]:
        """One round: retry stale claims, claim what became due, send, record. Returns the rows recorded."""
        now = now or self.tickets.now()
        claims = await asyncio.to_thread(self.ledger.take_over, self.worker, now - self.retry_after)
        dues, stale = await asyncio.to_thread(self.ledger.survey)
        for ref in stale[:STALE_PER_SCAN]:  # listings and reports read the stored state
            await asyncio.to_thread(self.tickets.refresh_sla, ref)
        for due in dues:
            claim = await asyncio.to_thread(self.ledger.claim, due, self.worker)
            if claim is not None:
                claims.append(claim)
        done = []
        for claim in claims:
            done.append(await self.send(claim))
        return done

    async def send(self, claim: Claim) -> SlaNotification:
        n = claim.notification
        results = await self.notifier.deliver(n.recipients, message(claim), claim.ticket.reference)
        recorded = await asyncio.to_thread(self.ledger.delivered, n.id, self.worker, results)
        if recorded.state == "failed":
            log.warning("SLA %s of %s could not be sent: %s", n.kind, n.reference, recorded.error)
        return recorded


def message(claim: Claim) -> str:
    """The notification text: what, which ticket, how far, by when, and what the escalation did."""
    n, t = claim.notification, claim.ticket
    target = claim.state.target(n.target)  # type: ignore[arg-type]
    what = TARGET_LABELS.get(n.target, n.target)
    head = (f"SLA breached: {what} of {t.reference}" if n.level >= 100
            else f"SLA warning: {what} of {t.reference} at {n.level}%")
    due = target.due_at.strftime("%Y-%m-%d %H:%M UTC") if target.due_at else "paused"
    lines = [head, f"{t.reference} ({t.priority}, {t.category}): {t.title}",
             f"Due: {due}. Assignee: {t.assignee or 'unassigned'}."]
    if claim.escalated:
        changes = [f"{k} {v['old']} -> {v['new']}" for k, v in claim.escalated.items()
                   if isinstance(v, dict) and "old" in v]
        if changes:
            lines.append("Escalated: " + ", ".join(changes) + ".")
    return "\n".join(lines)
