"""The desk side of the SLA: the state as the API and the console show it, the desk notifier that sends
warnings through the channels' Outbounds, and the scanner that fires warnings, breaches and escalations.

The clock itself lives in ``ticket_core.sla`` (a pure function of a ticket's log); this package only wires it
to the runtime.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ticket_core import TicketStore


def sla_json(store: TicketStore, reference: str, now: datetime | None = None) -> dict[str, Any]:
    """The ticket's live SLA state as JSON (the ``sla`` key of the API's ticket JSON): ``calendar``,
    ``priority``, ``active``, ``paused``, ``computed_at`` and per target (``first_response``,
    ``resolution``) ``mode``, ``target_s``, ``elapsed_s``, ``remaining_s``, ``percent``, ``running``,
    ``paused``, ``due_at``, ``breached_at``, ``completed_at``, ``met``, ``breached``. Synchronous: call it
    through ``asyncio.to_thread``. Raises ``TicketNotFound``."""
    return store.sla_state(reference, now).to_json()
