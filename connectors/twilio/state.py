"""What the Twilio connector remembers per contact, in a small SQLite file under the data dir.

Two facts the engine does not keep: when a WhatsApp user last wrote to us (WhatsApp only lets a business
send free-form messages within 24 hours of that; later pushes need an approved template), and which options
the last message offered (so a typed "2" maps to an option id). Both must survive a restart, hence a file.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from dialog.messages import Option

_SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    key TEXT PRIMARY KEY,
    last_inbound REAL,
    options TEXT NOT NULL DEFAULT '[]'
)
"""


class ContactState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def _run(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    async def touch_inbound(self, key: str, at: datetime) -> None:
        await asyncio.to_thread(
            self._run,
            "INSERT INTO contacts(key, last_inbound) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
            "last_inbound = max(coalesce(last_inbound, 0), excluded.last_inbound)",
            (key, at.timestamp()))

    async def last_inbound(self, key: str) -> datetime | None:
        rows = await asyncio.to_thread(self._run, "SELECT last_inbound FROM contacts WHERE key = ?", (key,))
        if not rows or rows[0][0] is None:
            return None
        return datetime.fromtimestamp(float(rows[0][0]), UTC)  # type: ignore[arg-type]

    async def set_options(self, key: str, options: tuple[Option, ...]) -> None:
        payload = json.dumps([[o.id, o.label] for o in options])
        await asyncio.to_thread(
            self._run,
            "INSERT INTO contacts(key, options) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET options = "
            "excluded.options", (key, payload))

    async def options(self, key: str) -> tuple[Option, ...]:
        rows = await asyncio.to_thread(self._run, "SELECT options FROM contacts WHERE key = ?", (key,))
        if not rows:
            return ()
        return tuple(Option(i, label) for i, label in json.loads(str(rows[0][0])))

    def close(self) -> None:
        with self._lock:
            self._db.close()
