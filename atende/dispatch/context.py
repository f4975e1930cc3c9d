"""The idempotency key of the message being processed, for the ports' adapters.

The Dispatcher sets it around ``DialogEngine.handle``; the ticket adapter files and appends with it, so a
message processed twice (after a crash between the ticket write and the conversation state) changes nothing
the second time. A context variable keeps the engine's ports free of plumbing: asyncio.to_thread copies it.
"""

from __future__ import annotations

from contextvars import ContextVar

current_message_key: ContextVar[str | None] = ContextVar("atende_message_key", default=None)
