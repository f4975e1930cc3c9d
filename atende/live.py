"""The desk's live feed: every ticket event, in order, resumable, for the console (SSE).

The source of truth is ticket_core's append-only ``ticket_events`` table, read by ``id > last`` so that it
works across processes (scaled mode: a worker files the ticket, the ingress that serves the console sees
it). One reader per process (:class:`LiveFeed`) polls it, woken at once when this process writes (the
store's ``after_write`` hook) and every ``poll_seconds`` otherwise; clients only hold a cursor into what
the reader released, so a slow client costs no memory.

"In order even when events arrive out of order": on PostgreSQL ids are drawn when a row is inserted but
become visible when its transaction commits, so id 11 can be seen before id 10. The reader never releases
an event past a hole: it holds back for ``gap_grace_seconds``; a hole still open then is a transaction that
rolled back (its id is never used) or one far slower than any of ours, and it is skipped. A cursor is
therefore always "everything up to here was delivered", which is what Last-Event-ID resumes from.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticket_core import Event, TicketStore

log = logging.getLogger(__name__)

#: What each event kind is about, so a page can pick what it shows without knowing every kind.
TOPICS: dict[str, str] = {
    "created": "ticket",
    "message_in": "message", "message_out": "message", "agent_reply": "message",
    "status_changed": "change", "assigned": "change", "field_changed": "change", "classified": "change",
    "csat": "change", "kb_linked": "change",
    "human_requested": "handoff", "handoff_taken": "handoff", "handoff_released": "handoff",
    "handoff_timed_out": "handoff",
    "notification_sent": "delivery", "notification_failed": "delivery",
}

#: Most events one read takes (and one client is handed at a time).
BATCH = 500


@dataclass(frozen=True, slots=True)
class FeedEvent:
    id: int
    kind: str
    reference: str
    actor: str
    at: datetime
    payload: dict[str, Any]

    @classmethod
    def of(cls, e: Event) -> FeedEvent:
        return cls(e.id, e.kind, e.reference, e.actor, e.at, e.payload)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "topic": TOPICS.get(self.kind, "other"),
                "reference": self.reference, "actor": self.actor, "at": self.at.isoformat(),
                "payload": self.payload}


class TooManyClients(Exception):
    """More open streams than ``max_clients``: the caller answers 503 and the browser retries."""


class LiveFeed:
    def __init__(self, tickets: TicketStore, *, poll_seconds: float = 0.5, gap_grace_seconds: float = 2.0,
                 buffer_size: int = 1000, max_clients: int = 200,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._tickets = tickets
        self.poll_seconds = poll_seconds
        self.gap_grace_seconds = gap_grace_seconds
        self.max_clients = max_clients
        self._clock = clock
        self._buffer: deque[FeedEvent] = deque(maxlen=buffer_size)
        self.frontier = 0  # every event up to this id was released (or skipped as a hole)
        self._gap: tuple[int, float] | None = None  # (the first missing id, when it was first seen)
        self._wake = asyncio.Event()
        self._released = asyncio.Event()  # replaced by a fresh one at each release
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._start_lock = asyncio.Lock()
        self.clients = 0
        self.skipped: list[int] = []  # holes given up on (the last few, for tests and logs)

    # --- the one reader ------------------------------------------------------------------------------
    async def start(self) -> None:
        async with self._start_lock:
            if self._task is not None:
                return
            self._loop = asyncio.get_running_loop()
            self.frontier = await asyncio.to_thread(self._tickets.last_event_id)
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def poke(self) -> None:
        """This process wrote to the ticket store (any thread): read now rather than at the next poll."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is shutting down
            loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            try:
                await self.read_once()
            except Exception:
                log.exception("live feed: reading the ticket log failed; retrying")
                await asyncio.sleep(self.poll_seconds)

    async def read_once(self) -> list[FeedEvent]:
        """Read what is visible past the frontier and release it in id order, holding back past a hole for
        the grace period. Returns what was released."""
        rows = [FeedEvent.of(e) for e in await asyncio.to_thread(self._tickets.events_after, self.frontier,
                                                                  BATCH)]
        released: list[FeedEvent] = []
        for e in rows:
            if e.id != self.frontier + 1:
                missing = self.frontier + 1
                now = self._clock()
                if self._gap is None or self._gap[0] != missing:
                    self._gap = (missing, now)
                if now - self._gap[1] < self.gap_grace_seconds:
                    self._schedule_recheck()  # re-read soon, not only at the next write or poll
                    break
                log.info("live feed: ids %d..%d never became visible; skipped", missing, e.id - 1)
                self.skipped = [*self.skipped[-50:], *range(missing, min(e.id, missing + 50))]
            self._gap = None
            self.frontier = e.id
            self._buffer.append(e)
            released.append(e)
        if released:
            tick, self._released = self._released, asyncio.Event()
            tick.set()
        return released

    def _schedule_recheck(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_later(min(self.poll_seconds, self.gap_grace_seconds / 4), self._wake.set)

    # --- clients -------------------------------------------------------------------------------------
    async def _after(self, cursor: int) -> list[FeedEvent]:
        """Released events after ``cursor`` (at most BATCH): from the buffer, or from the database for a
        cursor older than the buffer (never past the frontier: what lies beyond is not settled yet)."""
        if cursor >= self.frontier:
            return []
        if self._buffer and self._buffer[0].id <= cursor + 1:
            out: list[FeedEvent] = []
            for e in self._buffer:
                if e.id > cursor:
                    out.append(e)
                    if len(out) >= BATCH:
                        break
            return out
        frontier = self.frontier
        rows = await asyncio.to_thread(self._tickets.events_after, cursor, BATCH)
        return [FeedEvent.of(e) for e in rows if e.id <= frontier]

    async def follow(self, after: int | None = None, *,
                     idle: float = 15.0) -> AsyncGenerator[list[FeedEvent], None]:
        """Batches of events after ``after`` (None: from now on), in id order; an empty batch after
        ``idle`` seconds without events (a keep-alive). Raises TooManyClients past ``max_clients``."""
        if self.clients >= self.max_clients:
            raise TooManyClients()
        await self.start()
        self.clients += 1
        try:
            cursor = self.frontier if after is None else max(0, after)
            if cursor > self.frontier and cursor > await asyncio.to_thread(self._tickets.last_event_id):
                cursor = self.frontier  # an id this database never had (it was restored or replaced)
            while True:
                tick = self._released
                batch = await self._after(cursor)
                if batch:
                    cursor = batch[-1].id
                    yield batch
                    continue
                try:
                    await asyncio.wait_for(tick.wait(), idle)
                except TimeoutError:
                    yield []
        finally:
            self.clients -= 1

    async def sse(self, after: int | None = None, *, idle: float = 15.0, duration: float = 300.0,
                  render: Callable[[FeedEvent], str | None] | None = None) -> AsyncIterator[str]:
        """The feed as ``text/event-stream``: one event per ticket event with ``id:`` (its id, for
        Last-Event-ID) and JSON ``data:`` (:meth:`FeedEvent.to_json`; the SSE event name is the default
        "message", ``kind`` and ``topic`` are in the data); ``: keep-alive`` comments while idle. It ends
        after ``duration`` seconds (the browser reconnects and resumes), so a restart never waits on it.
        ``render`` replaces the data line's JSON (the console can send HTML fragments instead); an event
        it renders as None is not sent."""
        yield "retry: 2000\n\n"
        deadline = time.monotonic() + duration
        stream = self.follow(after, idle=min(idle, duration))
        try:
            async for batch in stream:
                if not batch:
                    yield ": keep-alive\n\n"
                for e in batch:
                    data = render(e) if render is not None else json.dumps(e.to_json(), ensure_ascii=False,
                                                                           default=str)
                    if data is None:
                        continue
                    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
                    yield f"id: {e.id}\n{lines}\n"
                if time.monotonic() >= deadline:
                    return
        except TooManyClients:
            yield ": too many open streams\n\n"
        finally:
            await stream.aclose()


def last_event_id(header: str | None, after: int | None) -> int | None:
    """The cursor a client resumes from: Last-Event-ID (a reconnecting EventSource) over ``?after=``."""
    if header is not None and header.strip().isdigit():
        return int(header.strip())
    return after
