"""The Dispatcher: runs the engine on recorded messages, one at a time per conversation, and delivers.

Order of writes for one message (single-process mode, SQLite or PostgreSQL):

1. ingress recorded the message in the inbox (status ``received``) before acknowledging it;
2. the engine runs with the message's idempotency key in context: the ticket it files or the message it
   appends carries that key under a unique index (ticket database);
3. the conversation state, the replies, the outbox row and the inbox status ``processed`` are written in
   one transaction (conversation database);
4. the outbox row is sent through the channel's Outbound, then marked ``sent`` (or ``failed``, logged on
   the conversation's tickets).

A crash after 1 re-runs 2-4 at start-up (the ticket write finds its key: no second ticket, no second
append); after 3 the replies are sent from the outbox, never recomputed. Only a crash between the
provider's acceptance of a send and step 4's mark can repeat one delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from atende.adapters.stores import clean_inbound
from atende.dispatch.context import current_message_key
from atende.dispatch.queue import SqlQueue, message_from_row
from atende.logs import log_context
from atende.ratelimit import SenderLimiter
from connectors.base import AttributedOutbound, ChannelError, DeliveryProgress, Outbound, delivery_progress
from dialog.messages import InboundMessage, Reply
from dialog.ports import TicketEvent
from dialog.state import reply_from_dict

log = logging.getLogger(__name__)

#: Attempts at running the engine on one message before it is set aside as ``failed`` (a poison message
#: must not block its conversation for ever); transient database errors are retried within these.
MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a waiter (Inbox.ask, an agent action) learns: the replies, and whether they were delivered."""

    replies: list[Reply]
    delivered: bool | None = None
    error: str | None = None


class Engine(Protocol):
    async def handle(self, message: InboundMessage) -> list[Reply]: ...

    async def notify(self, conversation_key: str, event: TicketEvent,
                     message_key: str | None = None) -> list[Reply]: ...


class DeliveryLog(Protocol):
    """Where the outcome of pushes lands (the ticket's event log): implemented by atende.notify.Notifier."""

    async def event_delivered(self, event: Mapping[str, Any], channel: str, ok: bool,
                              detail: str) -> None: ...

    async def delivery_failed(self, conversation_key: str, channel: str, error: str) -> None: ...


class Dispatcher:
    def __init__(self, engine: Engine, queue: SqlQueue, outbounds: Mapping[str, Outbound],
                 log_sink: DeliveryLog | None = None, *, retry_delay: float = 0.2) -> None:
        self.engine = engine
        self.queue = queue
        self.outbounds: dict[str, Outbound] = dict(outbounds)
        self.log_sink = log_sink
        self.retry_delay = retry_delay
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()
        self._waiters: dict[str, asyncio.Future[Outcome]] = {}
        self._running = False
        self.on_processed: Callable[[InboundMessage, float], Awaitable[None] | None] | None = None
        self.limiter: SenderLimiter | None = None  # per-sender rate limit, set by the runtime

    # --- lifecycle ---
    async def start(self) -> None:
        """Pick up what a previous process left: messages recorded but not processed, replies not sent."""
        self._running = True
        for key in await asyncio.to_thread(self.queue.waiting_conversations):
            self.kick(key)

    async def stop(self, timeout: float = 10.0) -> None:
        self._running = False
        tasks = list(self._workers.values())
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def join(self, timeout: float = 10.0) -> None:
        """Wait until every conversation's queue is empty (tests, benchmarks)."""
        async with asyncio.timeout(timeout):
            while self._workers:
                await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    # --- waiting for an outcome (Inbox.ask, agent actions) ---
    def waiter(self, key: str) -> asyncio.Future[Outcome]:
        fut = self._waiters.get(key)
        if fut is None or fut.done():
            fut = asyncio.get_running_loop().create_future()
            self._waiters[key] = fut
        return fut

    def forget(self, key: str) -> None:
        self._waiters.pop(key, None)

    # --- the per-conversation workers ---
    def kick(self, conversation_key: str) -> None:
        """Something is waiting for this conversation: make sure one worker (and only one) runs it."""
        if not self._running:
            return
        self._dirty.add(conversation_key)
        if conversation_key not in self._workers:
            task = asyncio.get_running_loop().create_task(self._worker(conversation_key))
            self._workers[conversation_key] = task

    async def _worker(self, key: str) -> None:
        try:
            while self._running:
                self._dirty.discard(key)
                await self._send_pending(key)
                row = await asyncio.to_thread(self.queue.next_received, key)
                if row is None:
                    if key in self._dirty:
                        continue
                    break
                await self._process(row)
        except Exception:
            log.exception("dispatcher: conversation %s stopped on an error; resumes on its next message", key)
        finally:
            self._workers.pop(key, None)

    async def _process(self, row: dict[str, Any]) -> None:
        with log_context(conversation_key=row["conversation_key"], message_id=row["idempotency_key"]):
            await self._process_logged(row)

    async def _process_logged(self, row: dict[str, Any]) -> None:
        key = row["idempotency_key"]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                if row.get("kind") == "event":
                    await self._process_event(row)
                else:
                    await self._process_message(row)
                return
            except Exception as exc:
                log.exception("dispatcher: processing %s failed (attempt %d/%d)", key, attempt, MAX_ATTEMPTS)
                if attempt == MAX_ATTEMPTS:
                    await asyncio.to_thread(self.queue.set_status, row["id"], "failed")
                    self._resolve(key, Outcome([], False, f"processing failed: {exc}"))
                    return
                await asyncio.sleep(self.retry_delay * attempt)

    async def _process_message(self, row: dict[str, Any]) -> None:
        message = message_from_row(row)
        if message.extras.get("no_reply"):
            # Recorded (auto-replies, bounces, list mail) but never answered: that is what stops mail loops.
            await asyncio.to_thread(self.queue.set_status, row["id"], "ignored")
            self._resolve(row["idempotency_key"], Outcome([], None))
            return
        if self.limiter is not None and await self._slowed_down(row, message):
            return
        message = clean_inbound(message)
        outbound = self.outbounds.get(message.channel)
        prepare = getattr(outbound, "prepare", None)
        if prepare is not None:
            message = await prepare(message)
        loop = asyncio.get_running_loop()
        started = loop.time()
        token = current_message_key.set(message.idempotency_key)
        try:
            await self.engine.handle(message)
        finally:
            current_message_key.reset(token)
        if self.on_processed is not None:
            res = self.on_processed(message, loop.time() - started)
            if res is not None:
                await res
        await self._send_pending(message.conversation_key, message)
        self._resolve(row["idempotency_key"], Outcome([], None))  # nothing to say (no outbox row to send)

    async def _slowed_down(self, row: dict[str, Any], message: InboundMessage) -> bool:
        """Over the per-sender limit (atende/ratelimit.py): recorded, not processed; one polite reply."""
        assert self.limiter is not None
        slow_down = self.limiter.check(message)
        if slow_down is None:
            return False
        await asyncio.to_thread(self.queue.set_status, row["id"], "rate_limited")
        waiter = self._waiters.pop(row["idempotency_key"], None)
        if waiter is not None and not waiter.done():
            waiter.set_result(Outcome(list(slow_down), True))
        elif slow_down and (outbound := self.outbounds.get(message.channel)) is not None:
            try:
                await outbound.reply(message, slow_down)
            except Exception as exc:  # best effort: the sender is flooding us
                log.info("slow-down notice to %s not delivered: %s", message.conversation_key, exc)
        return True

    async def _process_event(self, row: dict[str, Any]) -> None:
        payload = dict(row["payload"] or {})
        event = TicketEvent(**payload["event"])
        await self.engine.notify(row["conversation_key"], event, message_key=row["idempotency_key"])
        await self._send_pending(row["conversation_key"])
        self._resolve(row["idempotency_key"], Outcome([], None))

    # --- delivery from the outbox ---
    async def _send_pending(self, key: str, current: InboundMessage | None = None) -> None:
        for out in await asyncio.to_thread(self.queue.pending_outbox, key):
            await self._send(out, current)

    async def _send(self, out: dict[str, Any], current: InboundMessage | None) -> None:
        mkey = out["message_key"]
        replies = [reply_from_dict(r) for r in out["replies"]]
        waiter = self._waiters.pop(mkey, None)
        row = await asyncio.to_thread(self.queue.row_by_key, mkey)
        if waiter is not None and not waiter.done() and (row is None or row.get("kind") != "event"):
            # The channel answers inside its request (web chat, voice): the replies go in the response.
            await asyncio.to_thread(self.queue.outbox_done, out["id"], "answered")
            waiter.set_result(Outcome(replies, True))
            return
        if row is None:
            await asyncio.to_thread(self.queue.outbox_done, out["id"], "failed", "inbox row missing")
            return
        async def mark(parts: int) -> None:
            await asyncio.to_thread(self.queue.outbox_progress, out["id"], parts)

        token = delivery_progress.set(DeliveryProgress(int(out.get("progress") or 0), mark))
        try:
            ok, error = await self._deliver(row, replies, current)
        finally:
            delivery_progress.reset(token)
        await asyncio.to_thread(self.queue.outbox_done, out["id"], "sent" if ok else "failed", error)
        if waiter is not None and not waiter.done():
            waiter.set_result(Outcome(replies, ok, error))

    async def _deliver(self, row: dict[str, Any], replies: list[Reply],
                       current: InboundMessage | None) -> tuple[bool, str | None]:
        event = row.get("kind") == "event"
        payload = dict(row["payload"] or {}) if event else {}
        channel = str(payload.get("channel") or row["channel"])
        conversation = row["conversation_key"]
        outbound = self.outbounds.get(channel)
        error: str | None = None
        if outbound is None:
            error = f"channel {channel} cannot push messages"
        else:
            try:
                author = payload["event"].get("author") if event else None
                if event and author and isinstance(outbound, AttributedOutbound):
                    # The page shows which agent answered.
                    await outbound.send_from(conversation, replies, payload["event"].get("reference"), author)
                elif event:
                    await outbound.send(conversation, replies, payload["event"].get("reference"))
                else:
                    await outbound.reply(current or message_from_row(row), replies)
            except ChannelError as exc:
                error = str(exc)
            except Exception as exc:  # a connector bug must still leave a trace for the agent
                log.exception("delivery on %s failed", channel)
                error = f"unexpected error: {exc}"
        if self.log_sink is not None:
            text = "\n".join(r.text for r in replies)
            if event:
                await self.log_sink.event_delivered(payload, channel, error is None, error or text)
            elif error is not None:
                await self.log_sink.delivery_failed(conversation, channel, error)
        if error is not None:
            log.warning("delivery to %s (%s) failed: %s", conversation, channel, error)
        return error is None, error

    def _resolve(self, key: str, outcome: Outcome) -> None:
        fut = self._waiters.pop(key, None)
        if fut is not None and not fut.done():
            fut.set_result(outcome)

    @property
    def busy(self) -> int:
        return len(self._workers)


async def cancel_quietly(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
