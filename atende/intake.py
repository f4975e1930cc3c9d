"""The Intake every connector feeds: record durably, de-duplicate, order per conversation, run the engine.

Ordering: one asyncio lock per conversation key, so two messages of the same user are never processed
concurrently (single-process mode). Locks are dropped when nobody waits on them, so the dict stays small.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from atende.stores import clean_inbound
from connectors.base import ChannelError, IntakeResult
from dialog.messages import InboundMessage, Reply
from dialog.state import reply_from_dict

if TYPE_CHECKING:
    from atende.ratelimit import SenderLimiter
    from atende.stores import SqlConversationStore

log = logging.getLogger(__name__)


class EngineIntake:
    def __init__(self, engine: Any, store: SqlConversationStore, on_delivery_failed: Any = None) -> None:
        self.engine = engine
        self.store = store
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiters: dict[str, int] = {}
        self.on_delivery_failed = on_delivery_failed
        self.limiter: SenderLimiter | None = None

    @asynccontextmanager
    async def _ordered(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiters[key] -= 1
            if self._waiters[key] == 0:
                del self._waiters[key]
                self._locks.pop(key, None)

    async def receive(self, message: InboundMessage) -> bool:
        first = await self.store.record_inbound(message)
        if not first:
            log.info("duplicate delivery %s ignored", message.idempotency_key)
        return first

    async def process(self, message: InboundMessage) -> list[Reply]:
        if message.extras.get("no_reply"):
            # Recorded (auto-replies, bounces, list mail) but never answered: that is what stops mail loops.
            await asyncio.to_thread(self.store.mark_sync, message, "ignored")
            return []
        slow_down = self.limiter.check(message) if self.limiter is not None else None
        if slow_down is not None:  # over the per-sender limit (atende/ratelimit.py): recorded, not processed
            await asyncio.to_thread(self.store.mark_sync, message, "rate_limited")
            return slow_down
        async with self._ordered(message.conversation_key):
            return list(await self.engine.handle(clean_inbound(message)))

    async def handle(self, message: InboundMessage) -> IntakeResult:
        if not await self.receive(message):
            stored = None
            if message.idempotency_key:
                stored = await self.store.processed(message.idempotency_key)
            return IntakeResult([reply_from_dict(r) for r in stored or []], duplicate=True)
        return IntakeResult(await self.process(message), duplicate=False)

    async def delivery_failed(
        self, message: InboundMessage | None, channel: str, address: str, error: ChannelError
    ) -> None:
        log.warning("delivery to %s:%s failed: %s", channel, address, error)
        if self.on_delivery_failed is not None:
            conv = message.conversation_key if message else f"{channel}:{address}"
            await self.on_delivery_failed(conv, channel, str(error))

    async def notify(self, conversation_key: str, event: Any) -> list[Reply]:
        """Ticket events change conversation state too (pending CSAT), so they queue behind the user's
        own messages on the same per-conversation lock."""
        async with self._ordered(conversation_key):
            return list(await self.engine.notify(conversation_key, event))
