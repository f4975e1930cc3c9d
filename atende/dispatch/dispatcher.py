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

from sqlalchemy.exc import DBAPIError

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

#: Scaled mode: sends that failed for a passing reason (each after the connector's own retries) are tried
#: again this many times, with the worker's backoff, before the row is marked failed and logged.
MAX_DELIVERY_ROUNDS = 8


class DeliveryDeferred(Exception):
    """Scaled mode: a send failed for a passing reason; the row is pending again and the conversation
    waits (its next replies must not overtake this one). The worker retries after a backoff."""


#: Attempts at recording a delivered part (backoff up to 2 s each: about 20 s in all).
PROGRESS_ATTEMPTS = 14

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


class RemoteWaiters(Protocol):
    """Waiters in other processes (the scaled mode: an ingress waits on Redis for a worker's outcome)."""

    async def answer(self, message_key: str, outcome: Outcome) -> bool:
        """Hand the outcome to a waiter, if one still waits: True when it took it (then the replies go in
        its response and are not pushed)."""
        ...


#: A channel's own processor (channel ``alert``: monitoring opens tickets, nobody is answered). It runs with
#: the message's idempotency key, must be safe to run twice for one message (a crash before the inbox row is
#: marked processed runs it again) and sends nothing.
ChannelHandler = Callable[[InboundMessage], Awaitable[None]]


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
        #: Scaled mode: waiters of other processes, and the errors that are not the message's fault
        #: (database or Redis unreachable): those propagate out of process_conversation unmarked, so the
        #: worker retries with backoff instead of setting the message aside as failed.
        self.remote: RemoteWaiters | None = None
        self.transient: tuple[type[BaseException], ...] = ()
        self.claim_sends = False  # scaled mode: claim each outbox row before sending it (queue.claim_outbox)
        #: Per-channel processors that replace the dialog engine for their channel (see ChannelHandler).
        self.handlers: dict[str, ChannelHandler] = {}

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

    async def process_conversation(self, key: str) -> None:
        """The scaled worker's unit of work: send what the outbox holds for the conversation, then process
        its waiting rows in order, delivering each. Returns when nothing waits; raises the ``transient``
        errors (nothing is marked then: the caller retries later and acknowledges only after a return)."""
        while True:
            await self._send_pending(key)
            row = await asyncio.to_thread(self.queue.next_received, key)
            if row is None:
                return
            await self._process(row)

    async def _process(self, row: dict[str, Any]) -> None:
        with log_context(conversation_key=row["conversation_key"], message_id=row["idempotency_key"]):
            await self._process_logged(row)

    async def _process_logged(self, row: dict[str, Any]) -> None:
        key = row["idempotency_key"]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                if attempt > 1:
                    current = await asyncio.to_thread(self.queue.row_by_key, key)
                    if current is None or current["status"] != "received":
                        return  # another process finished it meanwhile (a lease overlap): nothing to redo
                if row.get("kind") == "event":
                    await self._process_event(row)
                else:
                    await self._process_message(row)
                return
            except self.transient:
                raise
            except Exception as exc:
                log.exception("dispatcher: processing %s failed (attempt %d/%d)", key, attempt, MAX_ATTEMPTS)
                if attempt == MAX_ATTEMPTS:
                    await asyncio.to_thread(self.queue.set_status, row["id"], "failed")
                    await self._finish(key, Outcome([], False, f"processing failed: {exc}"))
                    return
                await asyncio.sleep(self.retry_delay * attempt)

    async def _process_message(self, row: dict[str, Any]) -> None:
        message = message_from_row(row)
        if message.extras.get("no_reply"):
            # Recorded (auto-replies, bounces, list mail) but never answered: that is what stops mail loops.
            await asyncio.to_thread(self.queue.set_status, row["id"], "ignored")
            await self._finish(row["idempotency_key"], Outcome([], None))
            return
        handler = self.handlers.get(message.channel)
        if handler is not None:
            await self._handled(row, clean_inbound(message), handler)
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
        await self._finish(row["idempotency_key"], Outcome([], None))  # nothing to say (no outbox row)

    async def _handled(self, row: dict[str, Any], message: InboundMessage, handler: ChannelHandler) -> None:
        """A channel with its own processor: no engine, no reply, no per-sender limit (a monitoring system
        sends in bursts, and its alerts must not be dropped as a flood)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        token = current_message_key.set(message.idempotency_key)
        try:
            await handler(message)
        finally:
            current_message_key.reset(token)
        await asyncio.to_thread(self.queue.set_status, row["id"], "processed")
        if self.on_processed is not None:
            res = self.on_processed(message, loop.time() - started)
            if res is not None:
                await res
        await self._finish(row["idempotency_key"], Outcome([], None))

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
        await self._finish(row["idempotency_key"], Outcome([], None))

    # --- delivery from the outbox ---
    async def _send_pending(self, key: str, current: InboundMessage | None = None) -> None:
        for out in await asyncio.to_thread(self.queue.pending_outbox, key):
            await self._send(out, current)

    async def _send(self, out: dict[str, Any], current: InboundMessage | None) -> None:
        if not self.claim_sends:
            await self._send_claimed(out, current)
            return
        if not await asyncio.to_thread(self.queue.claim_outbox, out["id"]):
            return  # another worker is sending it
        try:
            await self._send_claimed(out, current)
        except DeliveryDeferred:
            raise
        except BaseException:
            # Not sent (or not known to be): back to pending now rather than after the sweeper's delay.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.queue.outbox_release, out["id"])
            raise

    async def _send_claimed(self, out: dict[str, Any], current: InboundMessage | None) -> None:
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
        if (self.remote is not None and row.get("kind") != "event"
                and await self.remote.answer(mkey, Outcome(replies, True))):
            await self._mark(out["id"], "answered")
            return
        defer = self.claim_sends and int(out.get("attempts") or 0) + 1 < MAX_DELIVERY_ROUNDS

        async def mark(parts: int) -> None:
            # The provider has accepted this part: recording it is what keeps a later resend from repeating
            # it, so a database that is briefly away (a restart, dropped connections) is waited for.
            for attempt in range(PROGRESS_ATTEMPTS):
                try:
                    await asyncio.to_thread(self.queue.outbox_progress, out["id"], parts)
                    return
                except DBAPIError:
                    if attempt == PROGRESS_ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(min(2.0, 0.1 * 2 ** attempt))

        token = delivery_progress.set(DeliveryProgress(int(out.get("progress") or 0), mark))
        try:
            ok, error = await self._deliver(row, replies, current, may_defer=defer)
        except DeliveryDeferred as exc:
            await asyncio.to_thread(self.queue.outbox_retry, out["id"], str(exc))
            raise
        finally:
            delivery_progress.reset(token)
        await self._mark(out["id"], "sent" if ok else "failed", error)
        if waiter is not None and not waiter.done():
            waiter.set_result(Outcome(replies, ok, error))
        if self.remote is not None and row.get("kind") == "event":
            await self.remote.answer(mkey, Outcome(replies, ok, error))

    async def _mark(self, row_id: int, status: str, error: str | None = None) -> None:
        """Mark an outbox row done. The send already happened: with the database briefly unreachable
        (scaled mode), insist for a while rather than leave the row pending, which would send it again."""
        delay = 0.1
        for _ in range(12):
            try:
                await asyncio.to_thread(self.queue.outbox_done, row_id, status, error)
                return
            except self.transient:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        await asyncio.to_thread(self.queue.outbox_done, row_id, status, error)

    async def _deliver(self, row: dict[str, Any], replies: list[Reply], current: InboundMessage | None,
                       may_defer: bool = False) -> tuple[bool, str | None]:
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
                if may_defer and exc.retryable:
                    raise DeliveryDeferred(str(exc)) from exc
                error = str(exc)
            except DBAPIError:  # our own database (recording the progress), not the channel: retried above
                raise
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

    async def _finish(self, key: str, outcome: Outcome) -> None:
        """A message or event is done without an outbox row to send: tell whoever waits for it."""
        self._resolve(key, outcome)
        if self.remote is not None:
            await self.remote.answer(key, outcome)

    def _resolve(self, key: str, outcome: Outcome) -> None:
        fut = self._waiters.pop(key, None)
        if fut is not None and not fut.done():
            fut.set_result(outcome)

    @property
    def busy(self) -> int:
        return len(self._workers)
