"""SQL queries of the single-process queue: inbox rows waiting, outbox rows to send, channel state.

They run on the conversation store's database (SQLite by default), in the store's write discipline
(BEGIN IMMEDIATE), always through asyncio.to_thread by the callers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from atende.adapters.stores import SqlConversationStore, inbox, kv, outbox_rows
from dialog.messages import Attachment, Identity, InboundMessage


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def message_from_row(row: Mapping[str, Any]) -> InboundMessage:
    """Rebuild the InboundMessage exactly as it was recorded (the engine must see what was acknowledged)."""
    sender = dict(row["sender"])
    return InboundMessage(
        channel=row["channel"],
        conversation_key=row["conversation_key"],
        sender=Identity(**sender),
        text=row["text"],
        option_id=row["option_id"],
        attachments=tuple(Attachment(**a) for a in row["attachments"] or ()),
        provider_message_id=row["provider_message_id"],
        received_at=_aware(row["received_at"]),
        locale_hint=row["locale_hint"],
        extras=dict(row["extras"] or {}),
    )


class SqlQueue:
    def __init__(self, store: SqlConversationStore) -> None:
        self.store = store
        self.engine = store.engine
        self._writer = store.writer

    # --- inbox ---
    def record_event(self, conversation_key: str, channel: str, key: str, payload: dict[str, Any]) -> bool:
        row = {
            "idempotency_key": key, "channel": channel, "conversation_key": conversation_key,
            "sender": {"channel": channel, "native_id": "atende"}, "text": "", "option_id": None,
            "attachments": [], "extras": {}, "received_at": _now(), "status": "received", "kind": "event",
            "payload": payload, "attempts": 0,
        }
        try:
            with self._writer.begin() as conn:
                conn.execute(insert(inbox).values(**row))
        except IntegrityError:
            return False
        return True

    def next_received(self, conversation_key: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(inbox).where(inbox.c.conversation_key == conversation_key,
                                    inbox.c.status == "received").order_by(inbox.c.id).limit(1)
            ).mappings().first()
        return dict(row) if row else None

    def row_by_key(self, key: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(inbox).where(inbox.c.idempotency_key == key)).mappings().first()
        return dict(row) if row else None

    def set_status(self, row_id: int, status: str) -> None:
        with self._writer.begin() as conn:
            conn.execute(update(inbox).where(inbox.c.id == row_id).values(status=status))

    def waiting_conversations(self) -> list[str]:
        """Conversations with messages recorded but not processed, or replies saved but not sent."""
        with self.engine.connect() as conn:
            a = conn.execute(select(inbox.c.conversation_key).where(inbox.c.status == "received")
                             .distinct()).scalars().all()
            b = conn.execute(select(outbox_rows.c.conversation_key).where(outbox_rows.c.status == "pending")
                             .distinct()).scalars().all()
        return list(dict.fromkeys([*a, *b]))

    # --- outbox ---
    def pending_outbox(self, conversation_key: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox_rows).where(outbox_rows.c.conversation_key == conversation_key,
                                          outbox_rows.c.status == "pending").order_by(outbox_rows.c.id)
            ).mappings().all()
        return [dict(r) for r in rows]

    def outbox_progress(self, row_id: int, parts: int) -> None:
        with self._writer.begin() as conn:
            conn.execute(update(outbox_rows).where(outbox_rows.c.id == row_id).values(progress=parts))

    def claim_outbox(self, row_id: int) -> bool:
        """Scaled mode: take a pending outbox row for sending (pending -> sending), so two workers that
        overlap on a conversation (a lease lost to a stall) never both send it. A row left ``sending``
        by a dead worker is put back to pending by the sweeper."""
        with self._writer.begin() as conn:
            res = conn.execute(update(outbox_rows).where(outbox_rows.c.id == row_id,
                                                         outbox_rows.c.status == "pending")
                               .values(status="sending", sent_at=_now()))
        return bool(res.rowcount == 1)

    def outbox_release(self, row_id: int) -> None:
        with self._writer.begin() as conn:
            conn.execute(update(outbox_rows)
                         .where(outbox_rows.c.id == row_id, outbox_rows.c.status == "sending")
                         .values(status="pending"))

    def outbox_retry(self, row_id: int, error: str) -> None:
        """Scaled mode: a send that failed for a reason that passes (429, 5xx, timeout) goes back to
        pending, counted, to be tried again by the worker's backoff."""
        with self._writer.begin() as conn:
            conn.execute(update(outbox_rows).where(outbox_rows.c.id == row_id).values(
                status="pending", error=error, attempts=outbox_rows.c.attempts + 1))

    def outbox_done(self, row_id: int, status: str, error: str | None = None) -> None:
        with self._writer.begin() as conn:
            conn.execute(update(outbox_rows).where(outbox_rows.c.id == row_id).values(
                status=status, error=error, sent_at=_now(), attempts=outbox_rows.c.attempts + 1))

    # --- the connectors' key-value state port ---
    def kv_get(self, namespace: str, key: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(select(kv.c.value).where(kv.c.namespace == namespace, kv.c.key == key)
                                ).scalar()

    def kv_set(self, namespace: str, key: str, value: Any) -> None:
        now = _now()
        with self._writer.begin() as conn:
            res = conn.execute(update(kv).where(kv.c.namespace == namespace, kv.c.key == key)
                               .values(value=value, updated_at=now))
            if res.rowcount == 0:
                conn.execute(insert(kv).values(namespace=namespace, key=key, value=value, updated_at=now))
