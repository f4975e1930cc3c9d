"""Prometheus metrics of one Atende instance, and the one-line recording calls the message path makes.

Each Runtime owns a :class:`Metrics` with its own CollectorRegistry (not the process-wide default one), so
two apps in one process (tests, a benchmark) never count into each other. Values that are cheaper to read
than to track (the backlog of unprocessed messages, the state of the models) are not recorded on the hot
path: probes read them when /metrics is scraped (:meth:`Metrics.refresh`).

Label values come only from our own code (channel names, the taxonomy's categories, shard numbers, model
names), never from user input, so the number of series stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

ModelState = Literal["loading", "ready", "fallback"]
MODEL_STATES: tuple[ModelState, ...] = ("loading", "ready", "fallback")
CONTENT_TYPE = CONTENT_TYPE_LATEST

#: Seconds from a message's receipt by the dispatcher to its replies being ready (engine + stores).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: A probe that hangs (a database that does not answer) must not hang the scrape.
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class Backlog:
    """One shard's queue. ``lag``: entries not yet handed to a consumer; ``pending``: handed out but not
    acknowledged. In single-process mode there is one shard, "0", and both are the inbox rows received but
    not processed (receipt and hand-over are the same step there)."""

    lag: int | None  # None: Redis cannot tell (after XDEL/XTRIM inside the unread part); left out
    pending: int


BacklogProbe = Callable[[], Awaitable[Mapping[str, Backlog]]]
ModelProbe = Callable[[], Mapping[str, ModelState]]


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.messages_in = Counter(
            "atende_messages_in", "Inbound messages accepted (duplicates excluded)", ["channel"], registry=r
        )
        self.processing_seconds = Histogram(
            "atende_processing_seconds",
            "Time to process one message (engine, state, ticket writes)",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.stream_lag = Gauge(
            "atende_stream_lag", "Messages waiting for a consumer, per shard", ["shard"], registry=r
        )
        self.stream_pending = Gauge(
            "atende_stream_pending", "Messages handed out, not acknowledged, per shard", ["shard"], registry=r
        )
        self.tickets_filed = Counter(
            "atende_tickets_filed", "Tickets filed by the bot", ["channel", "category"], registry=r
        )
        self.deliveries_failed = Counter(
            "atende_deliveries_failed", "Replies or pushes not delivered", ["channel"], registry=r
        )
        self.model_state = Enum(
            "atende_model_state", "State of each model", ["model"], states=list(MODEL_STATES), registry=r
        )
        self.backlog_probe: BacklogProbe | None = None
        self.model_probe: ModelProbe | None = None

    # --- recording calls (one line at each call site) ---------------------------------------------------
    def message_in(self, channel: str) -> None:
        self.messages_in.labels(channel=channel).inc()

    @contextmanager
    def processing(self, channel: str) -> Iterator[None]:
        """Times the block, failures included (a message that crashes the engine took that long too)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.processing_seconds.labels(channel=channel).observe(time.perf_counter() - start)

    def ticket_filed(self, channel: str, category: str | None) -> None:
        self.tickets_filed.labels(channel=channel, category=category or "none").inc()

    def delivery_failed(self, channel: str) -> None:
        self.deliveries_failed.labels(channel=channel).inc()

    def set_backlog(self, shards: Mapping[str, Backlog]) -> None:
        """Replace the per-shard gauges (shards that vanished are dropped, not left at their last value)."""
        self.stream_lag.clear()
        self.stream_pending.clear()
        for shard, b in shards.items():
            if b.lag is not None:
                self.stream_lag.labels(shard=shard).set(b.lag)
            self.stream_pending.labels(shard=shard).set(b.pending)

    def set_model_states(self, states: Mapping[str, ModelState]) -> None:
        for model, state in states.items():
            self.model_state.labels(model=model).state(state)

    # --- exposition ---------------------------------------------------------------------------------------
    async def refresh(self) -> None:
        """Run the probes. A failing probe leaves its gauges out (absent, not stale) and logs why."""
        if self.model_probe is not None:
            self.set_model_states(self.model_probe())
        if self.backlog_probe is not None:
            try:
                self.set_backlog(await asyncio.wait_for(self.backlog_probe(), PROBE_TIMEOUT_S))
            except Exception as exc:
                log.warning("backlog probe failed: %s", exc)
                self.set_backlog({})

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def redis_stream_backlog(redis: Any, streams: Mapping[str, str], group: str) -> BacklogProbe:
    """The scaled mode's probe: for each shard (label -> stream key), the consumer group's ``lag`` and
    ``pending`` from XINFO GROUPS (Redis 7+). A stream not created yet has nothing waiting; a stream whose
    group does not exist yet has all its entries waiting."""

    async def probe() -> Mapping[str, Backlog]:
        from redis.exceptions import ResponseError

        out: dict[str, Backlog] = {}
        for shard, key in streams.items():
            try:
                groups = await redis.xinfo_groups(key)
            except ResponseError:  # no such key
                out[shard] = Backlog(lag=0, pending=0)
                continue
            mine = next((g for g in groups if _text(g.get("name")) == group), None)
            if mine is None:
                out[shard] = Backlog(lag=int(await redis.xlen(key)), pending=0)
            else:
                lag = mine.get("lag")
                out[shard] = Backlog(lag=None if lag is None else int(lag), pending=int(mine["pending"]))
        return out

    return probe


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def model_state(obj: object) -> ModelState:
    """The state a classifier or KB port reports; the keyword stand-ins (no ``state``) are a fallback."""
    state = getattr(obj, "state", "fallback")
    return state if state in MODEL_STATES else "fallback"
