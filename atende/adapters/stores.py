"""SQL storage of the conversation side: the inbox (every inbound message, recorded before it is
acknowledged), conversation state, the replies of processed messages (idempotency) and the web outbox.

It implements dialog.ports.ConversationStore. SQLAlchemy Core on a sync engine, called through
asyncio.to_thread so the event loop never blocks; SQLite (WAL) by default, PostgreSQL by URL.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from dialog.messages import InboundMessage
from ticket_core.engine import make_engine, writer

metadata = MetaData()

inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(300), unique=True, nullable=True),
    Column("channel", String(32), nullable=False),
    Column("conversation_key", String(300), nullable=False, index=True),
    Column("sender", JSON, nullable=False),
    Column("text", Text, nullable=False),
    Column("option_id", String(200), nullable=True),
    Column("attachments", JSON, nullable=False),
    Column("extras", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False, default="received"),
    # Added with the Dispatcher (older files get them through _upgrade): a row is a user message or a
    # ticket event posted behind the user's messages; what is needed to rebuild the message exactly.
    Column("kind", String(16), nullable=True),
    Column("payload", JSON, nullable=True),
    Column("provider_message_id", Text, nullable=True),
    Column("locale_hint", String(35), nullable=True),
    Column("attempts", Integer, nullable=True),
)

#: Replies computed for a message or event, written in the transaction that saves the state, then sent.
#: A crash between the two re-sends from here; nothing is recomputed.
outbox_rows = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_key", String(300), nullable=False, index=True),
    Column("message_key", String(320), nullable=False, unique=True),
    Column("replies", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending | sent | answered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # Provider messages of this row already accepted (a reply may be several): a resend after a crash
    # starts after them, so only the one message in flight at the crash can repeat.
    Column("progress", Integer, nullable=False, default=0),
)

#: The key-value state port connectors get in their context (last inbound time, thread headers...).
kv = Table(
    "connector_state",
    metadata,
    Column("namespace", String(64), primary_key=True),
    Column("key", String(320), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

conversations = Table(
    "conversations",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

processed = Table(
    "processed_messages",
    metadata,
    Column("message_key", String(300), primary_key=True),
    Column("replies", JSON, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

outbox = Table(
    "web_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_key", String(300), nullable=False, index=True),
    Column("reply", JSON, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


_SCHEMA_LOCK_KEY = 0x6174656E6465  # "atende": the conversation store's schema creation (PostgreSQL)


def _jsonable(value: Any) -> Any:
    """Extras may hold anything a connector found useful; keep what JSON can carry, stringify the rest.
    Lone surrogates ("\ud800", valid in JSON, not in UTF-8) become U+FFFD: no database stores them."""
    return json.loads(clean_text(json.dumps(value, default=str, ensure_ascii=False)))


def clean_inbound(msg: InboundMessage) -> InboundMessage:
    """The message with lone surrogates replaced in what the engine stores (text, sender, file names):
    a chat provider's JSON may carry "\ud800", which no database accepts; it must not crash a filing."""
    names = (a.name for a in msg.attachments)
    fields = (msg.text, msg.sender.native_id, msg.sender.display_name or "", *names)
    if all(clean_text(f) is f for f in fields):
        return msg
    sender = replace(msg.sender, native_id=clean_text(msg.sender.native_id),
                     display_name=clean_text(msg.sender.display_name) if msg.sender.display_name else None)
    attachments = tuple(replace(a, name=clean_text(a.name)) for a in msg.attachments)
    return replace(msg, text=clean_text(msg.text), sender=sender, attachments=attachments)


def clean_text(text: str) -> str:
    """``text`` without lone surrogates (each becomes U+FFFD), so it can be encoded and stored."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


class SqlConversationStore:
    """Conversation state, inbox and idempotency records in one database.

    The state of a conversation and the replies produced for the message that changed it are written in
    one transaction, so a crash can never leave a processed message without its state or vice versa.
    """

    def __init__(self, url: str, *, cache: bool = True) -> None:
        """``cache`` keeps each conversation's last state in memory: right when one process owns every
        conversation, wrong in the scaled mode, where a conversation moves between workers."""
        # The ticket core's engine set-up (WAL, busy timeout, BEGIN IMMEDIATE for writers) serves here too.
        self.engine = make_engine("sqlite://" if url == "memory" else url)
        self._writer = writer(self.engine)
        with self._writer.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                # Scaled mode: several processes start at once on a fresh database; one creates the
                # tables, the others wait here and find them (without it: duplicate-key errors on create).
                from sqlalchemy import text

                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
            metadata.create_all(conn)
            self._upgrade(conn)
        # Recently used conversation states (LRU, CACHE_MAX entries): a hit saves a thread hop and a query;
        # an unbounded dict grew by one entry per session ever seen. Off in the scaled mode, where a
        # conversation moves between workers.
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_lock = threading.Lock()  # loads and saves run in worker threads
        self._caching = cache

    CACHE_MAX = 10_000

    def _remember(self, key: str, state: dict[str, Any]) -> None:
        if not self._caching:
            return
        with self._cache_lock:
            self._cache[key] = state
            self._cache.move_to_end(key)
            while len(self._cache) > self.CACHE_MAX:
                self._cache.popitem(last=False)

    def _cached(self, key: str) -> dict[str, Any] | None:
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
            return cached

    @property
    def writer(self) -> Any:
        """The engine for write transactions (BEGIN IMMEDIATE on SQLite); atende.retention prunes with it."""
        return self._writer

    def _upgrade(self, conn: Any) -> None:
        """Files written before the Dispatcher lack the inbox's new columns: add them (nullable)."""
        from sqlalchemy import inspect, text

        have = {c["name"] for c in inspect(conn).get_columns("inbox")}
        missing = [c for c in inbox.columns if c.name not in have]
        for col in missing:
            kind = col.type.compile(dialect=self.engine.dialect)
            conn.execute(text(f"ALTER TABLE inbox ADD COLUMN {col.name} {kind}"))

    def close(self) -> None:
        self.engine.dispose()

    # --- inbox -------------------------------------------------------------------------------------------
    def record_inbound_sync(self, msg: InboundMessage) -> bool:
        row = {
            "idempotency_key": msg.idempotency_key,
            "channel": msg.channel,
            "conversation_key": msg.conversation_key,
            "sender": _jsonable(asdict(msg.sender)),
            "text": clean_text(msg.text),
            "option_id": msg.option_id,
            "attachments": _jsonable([asdict(a) for a in msg.attachments]),
            "extras": _jsonable(dict(msg.extras)),
            "received_at": msg.received_at,
            "status": "received",
            "kind": "message",
            "provider_message_id": msg.provider_message_id,
            "locale_hint": msg.locale_hint,
            "attempts": 0,
        }
        try:
            with self._writer.begin() as conn:
                conn.execute(insert(inbox).values(**row))
        except IntegrityError:
            return False
        return True

    async def record_inbound(self, msg: InboundMessage) -> bool:
        return await asyncio.to_thread(self.record_inbound_sync, msg)

    def mark_sync(self, msg: InboundMessage, status: str) -> None:
        if msg.idempotency_key is None:
            return
        with self._writer.begin() as conn:
            conn.execute(
                update(inbox).where(inbox.c.idempotency_key == msg.idempotency_key).values(status=status)
            )

    def inbox_count(self, conversation_key: str | None = None) -> int:
        q = select(inbox.c.id)
        if conversation_key:
            q = q.where(inbox.c.conversation_key == conversation_key)
        with self.engine.connect() as conn:
            return len(conn.execute(q).all())

    def inbox_rows(self, conversation_key: str) -> list[Mapping[str, Any]]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(inbox).where(inbox.c.conversation_key == conversation_key).order_by(inbox.c.id)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    # --- ConversationStore port -----------------------------------------------------------------------------
    def load_sync(self, key: str) -> dict[str, Any] | None:
        cached = self._cached(key)
        if cached is not None:
            return json.loads(json.dumps(cached))
        with self.engine.connect() as conn:
            row = conn.execute(select(conversations.c.state).where(conversations.c.key == key)).first()
        return dict(row[0]) if row else None

    def save_sync(
        self, key: str, state: dict[str, Any], message_key: str | None, replies: list[dict[str, Any]] | None
    ) -> None:
        now = datetime.now(UTC)
        state = _jsonable(state)
        with self._writer.begin() as conn:
            res = conn.execute(
                update(conversations).where(conversations.c.key == key).values(state=state, updated_at=now)
            )
            if res.rowcount == 0:
                conn.execute(insert(conversations).values(key=key, state=state, updated_at=now))
            if message_key is not None:
                conn.execute(
                    insert(processed).values(
                        message_key=message_key, replies=_jsonable(replies or []), at=now
                    )
                )
                conn.execute(
                    update(inbox).where(inbox.c.idempotency_key == message_key).values(status="processed")
                )
                conn.execute(
                    insert(outbox_rows).values(
                        conversation_key=key, message_key=message_key, replies=_jsonable(replies or []),
                        status="pending" if replies else "sent", attempts=0, created_at=now,
                        sent_at=None if replies else now, progress=0,
                    )
                )
        self._remember(key, state)

    def processed_sync(self, message_key: str) -> list[dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(processed.c.replies).where(processed.c.message_key == message_key)
            ).first()
        return list(row[0]) if row else None

    async def load(self, key: str) -> dict[str, Any] | None:
        if key in self._cache:
            return self.load_sync(key)
        return await asyncio.to_thread(self.load_sync, key)

    async def save(
        self,
        key: str,
        state: dict[str, Any],
        message_key: str | None = None,
        replies: list[dict[str, Any]] | None = None,
    ) -> None:
        await asyncio.to_thread(self.save_sync, key, state, message_key, replies)

    async def processed(self, message_key: str) -> list[dict[str, Any]] | None:
        return await asyncio.to_thread(self.processed_sync, message_key)

    # --- web outbox (pushes to web-chat users who poll) ---
    def push_sync(self, conversation_key: str, replies: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC)
        with self._writer.begin() as conn:
            for r in replies:
                conn.execute(insert(outbox).values(conversation_key=conversation_key, reply=r, at=now))

    def pop_sync(self, conversation_key: str) -> list[dict[str, Any]]:
        with self._writer.begin() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.reply)
                .where(outbox.c.conversation_key == conversation_key)
                .order_by(outbox.c.id)
            ).all()
            if rows:
                conn.execute(delete(outbox).where(outbox.c.id.in_([r[0] for r in rows])))
        return [dict(r[1]) for r in rows]
