"""The composition root: builds every component from the settings and wires the ports.

Nothing heavy is imported here at module level: `atende serve` must accept requests within seconds,
so the ML packages load in background tasks started by :meth:`Runtime.start`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atende.adapters.language import LinguaDetector
from atende.adapters.ml import ModelClassifier, SearchKnowledgeBase
from atende.adapters.outages import StoreOutages
from atende.adapters.standins import KeywordClassifier, KeywordKnowledgeBase
from atende.adapters.stores import SqlConversationStore
from atende.adapters.tickets import TicketServiceAdapter
from atende.adapters.webstore import SqlWebChatStore
from atende.dispatch import Dispatcher, Inbox
from atende.dispatch.queue import SqlQueue
from atende.notify import Notifier
from atende.observability import Metrics
from atende.ratelimit import RateLimiter, SenderLimiter
from atende.retention import prune_loop
from atende.settings import Settings
from connectors.base import ChannelError, ConnectorContext, Mounted, Outbound
from dialog.engine import DialogEngine, EngineSettings
from dialog.messages import Reply
from ticket_core import ALERT_CHANNEL, TicketError, TicketPolicy, TicketStore

if TYPE_CHECKING:
    from atende.alerts.processor import AlertProcessor

log = logging.getLogger(__name__)

#: Connector packages tried at start-up; each one mounts itself only when its settings are present
#: (the web chat, first, always).
CONNECTORS = (
    "connectors.web", "connectors.telegram", "connectors.twilio", "connectors.slack", "connectors.email",
)


def ensure_api_token(settings: Settings) -> tuple[str, bool]:
    """The agent API token: ATENDE_API_TOKEN, or one generated once and kept in the data dir (0600)."""
    if settings.api_token:
        return settings.api_token, False
    path = settings.data_dir / "api_token"
    if path.exists():
        return path.read_text().strip(), False
    token = secrets.token_urlsafe(32)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token, True


def private_data_dir(data_dir: Path) -> None:
    """The data dir holds databases, raw mail, attachments and secrets: 0700, and every file this process
    creates from now on is 0600 (umask 077; SQLite creates its -wal and -shm files with the database's
    mode). An existing dir is tightened too; files already in it become unreachable to others through it."""
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    data_dir.chmod(0o700)


def connector_env(dotenv: Path = Path(".env")) -> dict[str, str]:
    """What connectors read their settings from: the process environment over an optional .env file,
    the same sources (and precedence) as the core settings."""
    from dotenv import dotenv_values

    values = {k: v for k, v in dotenv_values(dotenv).items() if v is not None} if dotenv.exists() else {}
    return {**values, **os.environ}


def build_policy(settings: Settings) -> TicketPolicy:
    data: dict[str, Any] = {
        "reopen_window_days": settings.reopen_window_days,
        "auto_close_days": settings.auto_close_days,
    }
    if settings.priority_matrix:
        data["matrix"] = json.loads(settings.priority_matrix)
    if settings.sla_targets:
        data["sla"] = json.loads(settings.sla_targets)
    return TicketPolicy.from_mapping(data)


@dataclass
class Runtime:
    settings: Settings
    tickets: TicketStore
    conv_store: SqlConversationStore
    engine: DialogEngine
    inbox: Inbox
    dispatcher: Dispatcher
    notifier: Notifier
    api_token: str
    classifier: Any
    kb: Any
    mounted: list[Mounted] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    ticket_errors: tuple[type[Exception], ...] = (TicketError,)
    detector: Any = None  # the language detector (a worker loads its models before taking shards)
    redis: Any = None  # scaled mode: the redis.asyncio client (ATENDE_REDIS_URL)
    lease: Any = None  # scaled mode: RedisLease, so the periodic jobs run once cluster-wide
    outages: StoreOutages | None = None  # known outages: offered to reports, shown on the web chat's banner
    alerts: AlertProcessor | None = None  # channel "alert"'s handler (atende/alerts)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def model_status(self) -> dict[str, str]:
        return {
            "classifier": getattr(self.classifier, "status", "keyword stand-in"),
            "kb": getattr(self.kb, "status", "keyword stand-in"),
        }

    async def start(self, *, load_models: bool = True, load_delay: float = 0.5) -> None:
        """Start background work. Model loading waits ``load_delay`` seconds so the server binds and answers
        first (importing torch holds the GIL for seconds); a conversation that needs the classifier
        before then simply awaits it."""
        if load_models:
            self._tasks.append(asyncio.create_task(self._load_models(load_delay)))
        self._tasks.append(asyncio.create_task(self._auto_close_loop()))
        self._start_alert_sweep()
        self._tasks.append(asyncio.create_task(
            prune_loop(self.conv_store, self.settings.data_dir, self.settings.retention_days)))
        # Before the channels: what a previous process recorded but did not process or send goes first.
        # In the scaled mode ingress processes nothing: `atende worker` processes do (start_worker).
        if self.redis is None:
            await self.dispatcher.start()
        for m in self.mounted:
            if m.start is not None:
                await m.start()

    async def start_worker(self, *, load_models: bool = True) -> None:
        """The scaled mode's worker: models and periodic jobs, no channels (ingress runs those)."""
        if load_models:
            self._tasks.append(asyncio.create_task(self._load_models(0.0)))
        self._tasks.append(asyncio.create_task(self._auto_close_loop()))
        self._start_alert_sweep()
        if self.detector is not None:
            # Its models load on first use, holding the GIL for a second or more: done here, before the
            # worker takes shards, that stall cannot outlast a lease renewal.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.detector.detect, "Warm up: the VPN does not connect today.")

    def _start_alert_sweep(self) -> None:
        """Stale alerts, only where alerts are received (ATENDE_ALERTS_TOKEN, on ingress and workers)."""
        if self.alerts is not None and self.settings.alerts_token:
            period = self.settings.alerts_stale_check_minutes * 60
            self._tasks.append(asyncio.create_task(self.alerts.stale_loop(period, self.lease)))

    async def _load_models(self, delay: float) -> None:
        await asyncio.sleep(delay)
        if isinstance(self.classifier, ModelClassifier):
            self.classifier.start_loading()
        if isinstance(self.kb, SearchKnowledgeBase):
            await self._load_kb(self.kb)

    async def _load_kb(self, kb: SearchKnowledgeBase) -> None:
        try:
            await asyncio.to_thread(kb.load_sync)
            await asyncio.to_thread(kb.warm_sync)
        except Exception as exc:
            log.error("knowledge base could not be loaded: %s", exc)
            kb.status = f"unavailable ({exc})"
            kb.state = "fallback"  # no suggestions: the bot files tickets without offering articles

    async def _auto_close_loop(self) -> None:
        period = timedelta(hours=1).total_seconds()
        while True:
            try:
                # Scaled mode: once cluster-wide. The holder keeps the lease round after round; when it
                # dies, another process takes the job within 1.5 periods.
                if self.lease is not None and not await self.lease.acquire("auto-close", period * 1.5):
                    await asyncio.sleep(period)
                    continue
                closed = await asyncio.to_thread(self.tickets.auto_close, datetime.now(UTC))
                if closed:
                    log.info("auto-closed %d resolved tickets", len(closed))
            except Exception:
                log.exception("auto-close failed")
            await asyncio.sleep(period)

    async def stop(self) -> None:
        for m in reversed(self.mounted):
            if m.stop is not None:
                try:
                    await m.stop()
                except Exception:
                    log.exception("stopping %s failed", m.name)
        await self.dispatcher.stop()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()

    def close(self) -> None:
        self.conv_store.close()
        self.tickets.close()


def build_runtime(
    settings: Settings, env: Mapping[str, str] | None = None, *, connectors: bool = True
) -> Runtime:
    """Build the whole product from settings. ``env`` is what connectors read their settings from."""
    private_data_dir(settings.data_dir)
    tickets = TicketStore.open(settings.resolved_database_url, build_policy(settings))
    conv_store = SqlConversationStore(settings.resolved_state_url, cache=not settings.redis_url)
    token, _ = ensure_api_token(settings)

    metrics = Metrics()
    keyword_cls = KeywordClassifier()
    classifier: Any
    kb: Any
    if settings.use_keyword_standins:
        classifier, kb = keyword_cls, KeywordKnowledgeBase()
    else:
        classifier = ModelClassifier(
            settings.resolved_model_dir, fallback=keyword_cls, taxonomy_file=settings.resolved_taxonomy_file
        )
        kb = SearchKnowledgeBase(
            settings.resolved_kb_dir,
            settings.data_dir / "kb_cache",
            settings.data_dir / "deflection.db",
            settings.embedding_model,
            settings.public_url,
        )

    engine_settings = EngineSettings(
        confidence_threshold=settings.confidence_threshold,
        idle_timeout=timedelta(minutes=settings.idle_timeout_minutes),
        default_language=settings.default_language,
        max_text_chars=settings.max_message_chars,
        playbooks_dir=settings.playbooks_dir,
        taxonomy_file=settings.resolved_taxonomy_file,
        timezone=settings.timezone,
    )
    detector = LinguaDetector()
    ticket_service = TicketServiceAdapter(tickets, metrics)
    outages = StoreOutages(tickets, ticket_service, settings.outage_match_threshold)
    engine = DialogEngine(
        classifier=classifier,
        kb=kb,
        tickets=ticket_service,
        store=conv_store,
        detector=detector,
        settings=engine_settings,
        outages=outages,
    )
    notifier = Notifier(tickets, metrics=metrics)
    dispatcher = Dispatcher(engine, SqlQueue(conv_store), {}, notifier)
    redis: Any = None
    inbox: Inbox
    if settings.redis_url:
        from atende.dispatch.redis_inbox import RedisInbox
        from atende.dispatch.shards import GROUP, stream_key
        from atende.dispatch.worker import connect_redis
        from atende.observability import redis_stream_backlog

        redis = connect_redis(settings.redis_url)
        inbox = RedisInbox(conv_store, dispatcher, redis, settings.stream_shards)
        metrics.backlog_probe = redis_stream_backlog(
            redis, {str(i): stream_key(i) for i in range(settings.stream_shards)}, GROUP)
    else:
        inbox = Inbox(conv_store, dispatcher)
    inbox.on_received = lambda m: metrics.message_in(m.channel)
    dispatcher.on_processed = lambda m, seconds: metrics.processing_seconds.labels(
        channel=m.channel).observe(seconds)
    notifier.inbox = inbox
    dispatcher.limiter = SenderLimiter(settings.rate_limit_sender)
    alerts = build_alerts(settings, tickets, notifier, engine)
    # Always registered: in the scaled mode a worker processes what any ingress recorded.
    dispatcher.handlers[ALERT_CHANNEL] = alerts.handle

    runtime = Runtime(
        settings=settings,
        tickets=tickets,
        conv_store=conv_store,
        engine=engine,
        inbox=inbox,
        dispatcher=dispatcher,
        notifier=notifier,
        api_token=token,
        classifier=classifier,
        kb=kb,
        metrics=metrics,
        redis=redis,
        detector=detector,
        outages=outages,
        alerts=alerts,
    )
    if redis is not None:
        from atende.dispatch.lease import RedisLease

        runtime.lease = RedisLease(redis)
    outbounds: dict[str, Outbound] = {}

    async def deliver(channel: str, conversation_key: str, replies: Sequence[Reply]) -> None:
        outbound = dispatcher.outbounds.get(channel)
        if outbound is None:
            raise ChannelError(f"channel {channel} is not configured", retryable=False)
        await outbound.send(conversation_key, replies)

    channel_env = dict(env) if env is not None else connector_env()
    ctx = ConnectorContext(
        inbox=inbox,
        state=SqlKeyValueState(dispatcher.queue),
        data_dir=settings.data_dir,
        public_url=settings.public_url,
        max_attachment_bytes=settings.max_attachment_bytes,
        max_attachments=settings.max_attachments,
        client_limit=RateLimiter(settings.rate_limit_ip).hit,
        web_store=SqlWebChatStore(conv_store.engine, conv_store.load),
        deliver=deliver,
        lease=runtime.lease,  # scaled mode: the IMAP poller runs in one ingress process at a time
        major_incidents=outages.banner,
    )
    # The web chat is part of the product (the page at /); the other channels only when asked for.
    for name in CONNECTORS if connectors else CONNECTORS[:1]:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        mounted = module.mount(ctx, channel_env)
        if mounted is None:
            continue
        runtime.mounted.append(mounted)
        if mounted.outbound is not None:
            for ch in mounted.channels:
                outbounds[ch] = mounted.outbound
        log.info("channel %s on", mounted.name)
    dispatcher.outbounds.update(outbounds)
    return runtime


def build_alerts(settings: Settings, tickets: TicketStore, notifier: Notifier,
                 engine: DialogEngine) -> AlertProcessor:
    """The alert processor with its rules (checked now: a bad rules file fails the start, naming the key;
    its categories must exist in the taxonomy the bot uses)."""
    from atende.alerts.processor import AlertProcessor
    from atende.alerts.rules import load_rules

    categories = frozenset(engine.taxonomy.ids)
    return AlertProcessor(tickets, load_rules(settings.alerts_rules_file, categories), notifier)


class SqlKeyValueState:
    """The connectors' key-value state port on the conversation database."""

    def __init__(self, queue: SqlQueue) -> None:
        self._queue = queue

    async def get(self, namespace: str, key: str) -> Any:
        return await asyncio.to_thread(self._queue.kv_get, namespace, key)

    async def set(self, namespace: str, key: str, value: Any) -> None:
        await asyncio.to_thread(self._queue.kv_set, namespace, key, value)
