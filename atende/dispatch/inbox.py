"""The Inbox: where every inbound message and every ticket event enters, durably and de-duplicated.

``receive`` is what asynchronous channels call before acknowledging (the provider retries otherwise);
``ask`` serves the channels that answer inside the request (web chat, voice): it records, then waits for
the Dispatcher's replies with a timeout, after which the replies follow by push; ``post_event`` queues agent
actions and status changes behind the user's own messages, so a CSAT prompt never overtakes an answer.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from atende.adapters.stores import SqlConversationStore
from atende.dispatch.dispatcher import Dispatcher, Outcome
from atende.dispatch.queue import SqlQueue
from connectors.base import Answered, ChannelError
from dialog.messages import InboundMessage, idempotency_key
from dialog.ports import TicketEvent
from dialog.state import reply_from_dict

log = logging.getLogger(__name__)


def keyed(message: InboundMessage) -> InboundMessage:
    """Every recorded message gets a key: the provider's id, or one of ours for channels without ids
    (its effects are then still written once, though a resend of it cannot be recognised)."""
    if message.provider_message_id:
        return message
    return replace(message, provider_message_id=f"atende-{uuid.uuid4().hex}")


class Inbox:
    def __init__(self, store: SqlConversationStore, dispatcher: Dispatcher) -> None:
        self.store = store
        self.queue: SqlQueue = dispatcher.queue
        self.dispatcher = dispatcher
        self.on_received: Callable[[InboundMessage], None] | None = None  # metrics: messages in

    async def receive(self, message: InboundMessage) -> bool:
        """Record the message. False when its key was already recorded (a redelivery: change nothing)."""
        message = keyed(message)
        first = await self.store.record_inbound(message)
        if first:
            self._counted(message)
            self.dispatcher.kick(message.conversation_key)
        else:
            log.info("duplicate delivery %s ignored", message.idempotency_key)
        return first

    async def ask(self, message: InboundMessage, timeout: float) -> Answered | None:
        """Record and wait for the replies. A resend of a processed message gets its stored replies (keys
        are scoped to the conversation: never anyone else's); a resend of one still waiting waits for it.
        None on timeout: the replies are then pushed to the conversation when they are ready."""
        message = keyed(message)
        key = message.idempotency_key
        assert key is not None
        fut = self.dispatcher.waiter(key)
        first = await self.store.record_inbound(message)
        if first:
            self._counted(message)
        else:
            stored = await self.store.processed(key)
            if stored is not None:
                self.dispatcher.forget(key)
                return Answered([reply_from_dict(r) for r in stored], duplicate=True)
        self.dispatcher.kick(message.conversation_key)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            self.dispatcher.forget(key)
            return None
        return Answered(outcome.replies, duplicate=not first)

    def _counted(self, message: InboundMessage) -> None:
        if self.on_received is not None:
            self.on_received(message)

    async def post_event(self, conversation_key: str, event: TicketEvent, *, channel: str,
                         wait: float | None = None) -> Outcome | None:
        """Queue a ticket event for the conversation (after its pending messages). With ``wait``, return
        the delivery outcome when it is known within that many seconds."""
        key = idempotency_key(conversation_key, f"event:{uuid.uuid4().hex}")
        payload: dict[str, Any] = {"event": asdict(event), "channel": channel}
        fut = self.dispatcher.waiter(key) if wait else None
        await asyncio.to_thread(self.queue.record_event, conversation_key, channel, key, payload)
        self.dispatcher.kick(conversation_key)
        if fut is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(fut), wait)
        except TimeoutError:
            self.dispatcher.forget(key)
            return None

    async def delivery_failed(self, message: InboundMessage | None, channel: str, address: str,
                              error: ChannelError) -> None:
        """A connector's own courtesy send failed (voice's SMS with the reference): log it on the tickets."""
        log.warning("delivery to %s:%s failed: %s", channel, address, error)
        sink = self.dispatcher.log_sink
        if sink is not None:
            conv = message.conversation_key if message else f"{channel}:{address}"
            await sink.delivery_failed(conv, channel, str(error))
