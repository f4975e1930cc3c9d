"""``atende worker``: processes the stream shards of the scaled mode.

Ownership. Every worker heartbeats into a sorted set (id -> time); the live workers, sorted by id, deal the
shards round-robin (shard ``s`` belongs to ``live[s % len(live)]``), and a worker consumes a shard only
while it holds that shard's lease (lease.py's RedisLease, renewed every ttl/3). A worker that dies stops
heartbeating and renewing: after at most one ttl it drops out of the live set and its leases expire, and
the next heartbeat of the new owner acquires the shard. A worker that joins takes its share the same way:
the old owner finishes its batch, then releases the lease.

Consuming a shard. The owner first claims every pending entry of the shard's consumer group (XAUTOCLAIM
with no idle minimum: holding the lease, whatever is pending is ours - a dead owner's entries, or our own
after an error), then reads new ones (XREADGROUP). A batch is grouped by conversation; each conversation
runs :meth:`Dispatcher.process_conversation` (its waiting rows in order, delivered), different
conversations concurrently, one conversation never twice at once. Entries are acknowledged only after
that returned: the effects (ticket, state, outbox, inbox status, delivery mark) are in PostgreSQL by then.
An error (database or Redis unreachable) leaves the batch pending; the loop backs off and claims it again.

The sweeper. The SQL inbox is the durable record; the stream only says "look at this conversation". Once a
while (under a cluster-wide lease) one worker queues again the conversations whose inbox rows stayed
``received`` - or whose outbox rows stayed ``pending`` - for longer than ATENDE_SWEEP_AFTER_SECONDS (and
rows a dead worker left ``sending`` for ATENDE_RESEND_AFTER_SECONDS): if
Redis lost its data (no append-only file, a host that died before its fsync), nothing is lost, only late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from atende.adapters.stores import SqlConversationStore, inbox, outbox_rows
from atende.dispatch.dispatcher import DeliveryDeferred, Dispatcher
from atende.dispatch.lease import RedisLease
from atende.dispatch.shards import GROUP, MEMBERS, enqueue, shard_lease, stream_key

if TYPE_CHECKING:
    from atende.runtime import Runtime

log = logging.getLogger(__name__)

SWEEP_LEASE = "sweeper"


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors that say "the database or Redis is unreachable", not "this message is bad"."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout
    from sqlalchemy.exc import InterfaceError, OperationalError

    return (OperationalError, InterfaceError, RedisConnectionError, RedisTimeout, ConnectionError,
            TimeoutError, DeliveryDeferred)


def stale_conversations(store: SqlConversationStore, older_than: float, resend_after: float,
                        limit: int = 1000) -> list[str]:
    """Conversations with an inbox row ``received`` or an outbox row ``pending`` for ``older_than`` s; an
    outbox row ``sending`` that long (its worker died mid-send) goes back to pending first: it is sent
    again, the one duplicate a crash can cause."""
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
    resend = datetime.now(UTC) - timedelta(seconds=resend_after)
    with store.writer.begin() as conn:
        conn.execute(update(outbox_rows).where(outbox_rows.c.status == "sending",
                                               outbox_rows.c.sent_at < resend)
                     .values(status="pending", created_at=cutoff - timedelta(seconds=1)))
    with store.engine.connect() as conn:
        a = conn.execute(select(inbox.c.conversation_key)
                         .where(inbox.c.status == "received", inbox.c.received_at < cutoff)
                         .distinct().limit(limit)).scalars().all()
        b = conn.execute(select(outbox_rows.c.conversation_key)
                         .where(outbox_rows.c.status == "pending", outbox_rows.c.created_at < cutoff)
                         .distinct().limit(limit)).scalars().all()
    return list(dict.fromkeys([*a, *b]))


class ShardWorker:
    def __init__(self, redis: Any, dispatcher: Dispatcher, store: SqlConversationStore, *, shards: int,
                 lease_ttl: float = 5.0, sweep_after: float = 30.0, resend_after: float = 180.0,
                 batch: int = 64, concurrency: int = 32,
                 owner: str | None = None) -> None:
        self.redis = redis
        self.dispatcher = dispatcher
        self.store = store
        self.shards = shards
        self.ttl = lease_ttl
        self.sweep_after = sweep_after
        self.resend_after = resend_after
        self.batch = batch
        self.lease = RedisLease(redis, owner)
        self.id = self.lease.owner
        self._sem = asyncio.Semaphore(concurrency)
        self._consumers: dict[int, asyncio.Task[None]] = {}
        self._leaving: set[int] = set()
        self._stopping = asyncio.Event()
        self.on_batch: Callable[[int, int], None] | None = None  # (shard, entries): tests, metrics

    @property
    def owned(self) -> set[int]:
        return set(self._consumers)

    async def run(self) -> None:
        """Until :meth:`stop`: heartbeat (membership, leases, balance) and sweep; consumers per shard."""
        sweeper = asyncio.get_running_loop().create_task(self._sweep_loop())
        try:
            while not self._stopping.is_set():
                try:
                    await self._heartbeat()
                except Exception as exc:  # Redis unreachable: the renewals failed, the consumers stopped
                    log.warning("worker heartbeat failed: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.ttl / 4)
        finally:
            await self._shutdown(sweeper)

    async def stop(self) -> None:
        log.info("worker %s: stop requested", self.id)
        self._stopping.set()

    async def _shutdown(self, sweeper: asyncio.Task[None]) -> None:
        sweeper.cancel()
        self._leaving.update(self._consumers)
        tasks = list(self._consumers.values())
        if tasks:  # finish the batches in hand (bounded), then hand the shards over at once
            _done, pending = await asyncio.wait(tasks, timeout=self.ttl)
            for t in pending:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sweeper
        with contextlib.suppress(Exception):
            await self.redis.zrem(MEMBERS, self.id)

    # --- membership and leases ---
    async def _heartbeat(self) -> None:
        now = time.time()
        await self.redis.zadd(MEMBERS, {self.id: now})
        await self.redis.zremrangebyscore(MEMBERS, "-inf", now - self.ttl)
        live = sorted(await self.redis.zrangebyscore(MEMBERS, now - self.ttl, "+inf"))
        if self.id not in live:
            live = sorted([*live, self.id])
        mine = {s for s in range(self.shards) if live[s % len(live)] == self.id}
        for s in list(self._consumers):
            if s in self._leaving:
                await self.lease.renew(shard_lease(s), self.ttl)
                continue
            if s not in mine:
                self._leaving.add(s)  # the consumer finishes its batch, then releases
                await self.lease.renew(shard_lease(s), self.ttl)
            elif not await self.lease.renew(shard_lease(s), self.ttl):
                log.warning("worker %s lost shard %d", self.id, s)
                self._drop(s)
        for s in sorted(mine - set(self._consumers)):
            if await self.lease.acquire(shard_lease(s), self.ttl):
                log.info("worker %s takes shard %d", self.id, s)
                self._consumers[s] = asyncio.get_running_loop().create_task(self._consume(s))

    def _drop(self, shard: int) -> None:
        """The lease is gone (expired after a stall, or Redis unreachable): someone else may own the shard
        now. Stop after the batch in hand - cancelling it mid-delivery would leave a sent reply unmarked,
        to be sent again; finishing it is idempotent (unique keys, claimed outbox rows)."""
        self._leaving.add(shard)

    # --- consuming one shard ---
    async def _consume(self, shard: int) -> None:
        stream = stream_key(shard)
        failures = 0
        try:
            await self._ensure_group(stream)
            while shard not in self._leaving and not self._stopping.is_set():
                try:
                    entries = await self._next_batch(stream)
                    if entries:
                        await self._handle(entries)
                        await self.redis.xack(stream, GROUP, *[eid for eid, _ in entries])
                        if self.on_batch is not None:
                            self.on_batch(shard, len(entries))
                    failures = 0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failures += 1
                    delay = min(5.0, 0.1 * 2 ** min(failures, 6))
                    log.warning("shard %d: batch failed (%s: %s); retry in %.1fs", shard,
                                type(exc).__name__, exc, delay)
                    await asyncio.sleep(delay)
                    with contextlib.suppress(Exception):
                        await self._ensure_group(stream)  # Redis lost its data: the group comes back empty
        finally:
            if self._consumers.get(shard) is asyncio.current_task():
                del self._consumers[shard]
                self._leaving.discard(shard)
                await self.lease.release(shard_lease(shard))

    async def _ensure_group(self, stream: str) -> None:
        from redis.exceptions import ResponseError

        try:
            await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _next_batch(self, stream: str) -> list[tuple[str, dict[str, str]]]:
        claimed = await self.redis.xautoclaim(stream, GROUP, self.id, min_idle_time=0, start_id="0-0",
                                              count=self.batch)
        entries = [(eid, fields) for eid, fields in claimed[1] if fields]
        deleted = [eid for eid, fields in claimed[1] if not fields]
        deleted += list(claimed[2]) if len(claimed) > 2 else []
        if deleted:  # trimmed before it was handled: the sweeper covers its row; drop the pending entry
            await self.redis.xack(stream, GROUP, *deleted)
        if entries:
            return entries
        block = max(100, int(self.ttl * 1000 / 5))
        got = await self.redis.xreadgroup(GROUP, self.id, {stream: ">"}, count=self.batch, block=block)
        if not got:
            return []
        return [(eid, fields) for eid, fields in got[0][1] if fields]

    async def _handle(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        conversations = list(dict.fromkeys(fields["c"] for _, fields in entries))
        results = await asyncio.gather(*(self._one(c) for c in conversations), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r

    async def _one(self, conversation_key: str) -> None:
        async with self._sem:
            await self.dispatcher.process_conversation(conversation_key)

    # --- the sweeper ---
    async def _sweep_loop(self) -> None:
        interval = max(0.5, min(self.sweep_after / 2, 30.0))
        while True:
            try:
                if await self.lease.acquire(SWEEP_LEASE, interval * 3):
                    n = await self.sweep()
                    if n:
                        log.info("sweeper queued %d conversations again", n)
            except Exception as exc:
                log.warning("sweep failed: %s", exc)
            await asyncio.sleep(interval)

    async def sweep(self) -> int:
        keys = await asyncio.to_thread(stale_conversations, self.store, self.sweep_after,
                                    self.resend_after)
        for key in keys:
            await enqueue(self.redis, self.shards, key, "sweep")
        return len(keys)


def connect_redis(url: str) -> Any:
    from redis.asyncio import Redis

    # No read timeout: BLPOP (web chat, 25 s) and XREADGROUP block longer than redis-py's default 5 s. A dead
    # server closes the sockets (errors at once); keepalive and the health check catch a vanished host.
    return Redis.from_url(url, decode_responses=True, socket_connect_timeout=3, socket_timeout=None,
                          socket_keepalive=True, health_check_interval=10)


async def serve_worker(runtime: Runtime, *, on_ready: Callable[[ShardWorker], Awaitable[None]] | None = None,
                       install_signals: bool = True) -> None:
    """The worker process: the runtime's engine and outbounds, no ingress; until SIGTERM/SIGINT."""
    settings = runtime.settings
    assert settings.redis_url, "atende worker needs ATENDE_REDIS_URL"
    redis = runtime.redis if runtime.redis is not None else connect_redis(settings.redis_url)
    from atende.dispatch.redis_inbox import RedisWaiters

    runtime.dispatcher.remote = RedisWaiters(redis)
    runtime.dispatcher.transient = transient_errors()
    runtime.dispatcher.claim_sends = True
    worker = ShardWorker(redis, runtime.dispatcher, runtime.conv_store, shards=settings.stream_shards,
                         lease_ttl=settings.worker_lease_seconds, sweep_after=settings.sweep_after_seconds,
                         resend_after=settings.resend_after_seconds)
    if install_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.stop()))
    await runtime.start_worker()
    log.info("worker %s up (pid %d, %d shards)", worker.id, os.getpid(), settings.stream_shards)
    if on_ready is not None:
        await on_ready(worker)
    try:
        await worker.run()
    finally:
        log.info("worker %s stopping", worker.id)
        await runtime.stop()
        log.info("worker %s stopped", worker.id)
