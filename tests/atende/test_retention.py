"""ATENDE_RETENTION_DAYS: raw inbound data older than the window is pruned; tickets and their log are kept."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from atende.adapters.stores import outbox, outbox_rows, processed
from atende.retention import prune
from atende.runtime import build_runtime
from dialog.messages import Identity, InboundMessage

OLD = datetime.now(UTC) - timedelta(days=120)


def _msg(key: str, received_at: datetime) -> InboundMessage:
    return InboundMessage(channel="web", conversation_key="web:s1", sender=Identity("web", "s1"), text="hi",
                          provider_message_id=key, received_at=received_at)


def _age(path: Path, days: float) -> None:
    t = time.time() - days * 86400
    os.utime(path, (t, t))


def _seed(runtime: Any) -> dict[str, Path]:
    store, data = runtime.conv_store, runtime.settings.data_dir
    store.record_inbound_sync(_msg("old", OLD))
    store.record_inbound_sync(_msg("new", datetime.now(UTC)))
    store.save_sync("web:s1", {"x": 1}, "web:s1/old", [{"text": "a"}])
    store.save_sync("web:s1", {"x": 2}, "web:s1/new", [{"text": "b"}])
    store.push_sync("web:s1", [{"text": "old push"}])
    with store.writer.begin() as conn:
        conn.execute(update(processed).where(processed.c.message_key == "web:s1/old").values(at=OLD))
        conn.execute(update(outbox_rows).where(outbox_rows.c.message_key == "web:s1/old").values(
            created_at=OLD, status="sent"))
        conn.execute(update(outbox).values(at=OLD))
    files = {}
    for name, folder in (("old_eml", "email/raw/2026-01"), ("new_eml", "email/raw/2026-12"),
                         ("old_att", "attachments/email/ab"), ("new_att", "attachments/telegram/1")):
        path = data / folder / f"{name}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        if name.startswith("old"):
            _age(path, 120)
        files[name] = path
    return files


def _keys(runtime: Any) -> list[str]:
    return [r["idempotency_key"] for r in runtime.conv_store.inbox_rows("web:s1")]


def test_prune_removes_raw_data_older_than_the_window(settings_factory: Any) -> None:
    runtime = build_runtime(settings_factory(), env={})
    try:
        files = _seed(runtime)
        store = runtime.conv_store
        result = prune(store, runtime.settings.data_dir, days=90)
        # outbox: the old web push and the old sent reply; the new reply is kept
        assert (result.inbox, result.processed, result.outbox, result.files) == (1, 1, 2, 2)
        assert _keys(runtime) == ["web:s1/new"]
        assert store.processed_sync("web:s1/old") is None
        assert store.processed_sync("web:s1/new") == [{"text": "b"}]
        assert store.pop_sync("web:s1") == []
        assert not files["old_eml"].exists() and not files["old_att"].exists()
        assert files["new_eml"].exists() and files["new_att"].exists()
        assert not files["old_att"].parent.exists()  # emptied folders go too
        assert store.load_sync("web:s1") == {"x": 2}  # conversation state is not raw data
    finally:
        runtime.close()


async def test_runtime_prunes_periodically_and_keeps_tickets(settings_factory: Any) -> None:
    from atende.adapters.tickets import TicketServiceAdapter
    from dialog.ports import TicketDraft

    runtime = build_runtime(settings_factory(retention_days=90), env={})
    try:
        draft = TicketDraft(title="Old printer issue", description="jammed", category="hardware",
                            type="incident", impact="individual", urgency="low", channel="web",
                            requester=Identity("web", "s1"), language="en", conversation_key="web:s1")
        ref = (await TicketServiceAdapter(runtime.tickets).create_ticket(draft)).reference
        _seed(runtime)
        await runtime.start(load_models=False)
        for _ in range(100):
            if _keys(runtime) == ["web:s1/new"]:
                break
            await asyncio.sleep(0.05)
        assert _keys(runtime) == ["web:s1/new"]
        assert runtime.tickets.get(ref) is not None and runtime.tickets.events(ref)
    finally:
        await runtime.stop()
        runtime.close()
