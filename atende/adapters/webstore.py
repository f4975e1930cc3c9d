"""The web chat's store (connectors.web.store.WebChatStore) as two tables in the conversation database.

``web_sessions`` holds the sessions the server issued (a digest of each browser's secret, the acknowledged
cursor, the identity the user proved); ``web_messages`` holds the chat log in order. Nothing is deleted by
reading: pushes stay until the owner acknowledges them, and the log stays for the page's history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)

from connectors.web.store import ChatEntry, Role, WebSession
from ticket_core.engine import writer

metadata = MetaData()

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("secret_digest", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("acked", Integer, nullable=False, default=0),
    Column("identity", JSON, nullable=False, default=dict),
)

web_messages = Table(
    "web_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_key", String(300), nullable=False, index=True),
    Column("role", String(8), nullable=False),
    Column("reply", JSON, nullable=False),
    Column("author", String(200), nullable=True),
    Column("option", String(200), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

StateLoader = Callable[[str], Awaitable[dict[str, Any] | None]]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SqlWebChatStore:
    def __init__(self, engine: Engine, load_state: StateLoader) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._load_state = load_state
        metadata.create_all(engine)

    # --- sessions ---------------------------------------------------------------------------------------
    async def create_session(self, session: WebSession) -> None:
        def run() -> None:
            with self._writer.begin() as conn:
                conn.execute(insert(web_sessions).values(
                    id=session.id, secret_digest=session.secret_digest, created_at=session.created_at,
                    acked=session.acked, identity=dict(session.identity)))

        await asyncio.to_thread(run)

    async def get_session(self, session_id: str) -> WebSession | None:
        def run() -> WebSession | None:
            with self.engine.connect() as conn:
                q = select(web_sessions).where(web_sessions.c.id == session_id)
                row = conn.execute(q).mappings().first()
            if row is None:
                return None
            return WebSession(id=row["id"], secret_digest=row["secret_digest"],
                              created_at=_utc(row["created_at"]), acked=row["acked"],
                              identity=dict(row["identity"] or {}))

        return await asyncio.to_thread(run)

    async def set_identity(self, session_id: str, identity: dict[str, Any]) -> None:
        def run() -> None:
            with self._writer.begin() as conn:
                conn.execute(update(web_sessions).where(web_sessions.c.id == session_id)
                             .values(identity=dict(identity)))

        await asyncio.to_thread(run)

    async def acknowledge(self, session_id: str, upto: int) -> int:
        def run() -> int:
            with self._writer.begin() as conn:
                conn.execute(update(web_sessions)
                             .where(web_sessions.c.id == session_id, web_sessions.c.acked < upto)
                             .values(acked=upto))
                acked = conn.execute(select(web_sessions.c.acked).where(web_sessions.c.id == session_id))
                return int(acked.scalar_one_or_none() or 0)

        return await asyncio.to_thread(run)

    # --- chat log ---------------------------------------------------------------------------------------
    async def append(self, conversation_key: str, role: Role, replies: list[dict[str, Any]],
                     author: str | None = None, option: str | None = None) -> int:
        def run() -> int:
            last = 0
            now = datetime.now(UTC)
            with self._writer.begin() as conn:
                for reply in replies:
                    res = conn.execute(insert(web_messages).values(
                        conversation_key=conversation_key, role=role, reply=reply, author=author,
                        option=option, at=now))
                    last = int(cast(Any, res.inserted_primary_key)[0])
            return last

        return await asyncio.to_thread(run)

    async def history(self, conversation_key: str, after: int = 0) -> list[ChatEntry]:
        return await asyncio.to_thread(self._entries, conversation_key, after, None)

    async def pushed(self, conversation_key: str, after: int) -> list[ChatEntry]:
        return await asyncio.to_thread(self._entries, conversation_key, after, "push")

    def _entries(self, conversation_key: str, after: int, role: str | None) -> list[ChatEntry]:
        q = select(web_messages).where(web_messages.c.conversation_key == conversation_key,
                                       web_messages.c.id > after)
        if role is not None:
            q = q.where(web_messages.c.role == role)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(web_messages.c.id)).mappings().all()
        return [ChatEntry(id=r["id"], role=r["role"], reply=dict(r["reply"]), at=_utc(r["at"]),
                          author=r["author"], option=r["option"]) for r in rows]

    async def language(self, conversation_key: str) -> str | None:
        state = await self._load_state(conversation_key)
        lang = (state or {}).get("language")
        return lang if isinstance(lang, str) else None
