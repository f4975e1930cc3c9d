"""The desk's own small memory, in one SQLite file under the data dir, so it survives restarts.

- IMAP position (UIDVALIDITY + last UID per account/folder): a restart neither misses nor re-reads mail.
- Threads per conversation: subject, last Message-IDs, ticket, the options last offered (so "2" or a
  label typed in a reply maps to an option id even after a restart).
- Sends per address (the hourly cap) and digests of answered texts (the loop guard: an auto-responder
  repeating itself is recorded but not answered again).

Calls are short and synchronous; the desk runs them in a worker thread (asyncio.to_thread).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from dialog.messages import Option

_SCHEMA = """
CREATE TABLE IF NOT EXISTS imap_position (account TEXT PRIMARY KEY, uidvalidity INTEGER, last_uid INTEGER);
CREATE TABLE IF NOT EXISTS threads (
    conversation_key TEXT PRIMARY KEY, subject TEXT, last_message_id TEXT, refs TEXT, ticket TEXT,
    options TEXT, updated REAL);
CREATE TABLE IF NOT EXISTS sends (address TEXT, at REAL);
CREATE INDEX IF NOT EXISTS sends_address ON sends (address, at);
CREATE TABLE IF NOT EXISTS answered (address TEXT, digest TEXT, at REAL, PRIMARY KEY (address, digest));
"""

MAX_REFERENCES = 20


@dataclass(slots=True)
class Thread:
    subject: str = ""
    last_message_id: str | None = None
    references: list[str] = field(default_factory=list)
    ticket: str | None = None
    options: list[Option] = field(default_factory=list)


class MailState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- IMAP position ---
    def imap_position(self, account: str) -> tuple[int, int] | None:
        with self._lock:
            row = self._db.execute("SELECT uidvalidity, last_uid FROM imap_position WHERE account=?",
                                   (account,)).fetchone()
        return (int(row[0]), int(row[1])) if row else None

    def set_imap_position(self, account: str, uidvalidity: int, last_uid: int) -> None:
        with self._lock:
            self._db.execute("INSERT INTO imap_position VALUES (?,?,?) ON CONFLICT(account) DO UPDATE SET "
                             "uidvalidity=excluded.uidvalidity, last_uid=excluded.last_uid",
                             (account, uidvalidity, last_uid))

    # --- threads ---
    def thread(self, key: str) -> Thread:
        with self._lock:
            row = self._db.execute("SELECT subject, last_message_id, refs, ticket, options FROM threads "
                                   "WHERE conversation_key=?", (key,)).fetchone()
        if row is None:
            return Thread()
        options = [Option(o["id"], o["label"]) for o in json.loads(row[4] or "[]")]
        return Thread(subject=row[0] or "", last_message_id=row[1], references=json.loads(row[2] or "[]"),
                      ticket=row[3], options=options)

    def save_thread(self, key: str, thread: Thread) -> None:
        refs = json.dumps(thread.references[-MAX_REFERENCES:])
        opts = json.dumps([{"id": o.id, "label": o.label} for o in thread.options])
        with self._lock:
            self._db.execute(
                "INSERT INTO threads VALUES (?,?,?,?,?,?,?) ON CONFLICT(conversation_key) DO UPDATE SET "
                "subject=excluded.subject, last_message_id=excluded.last_message_id, refs=excluded.refs, "
                "ticket=excluded.ticket, options=excluded.options, updated=excluded.updated",
                (key, thread.subject, thread.last_message_id, refs, thread.ticket, opts, time.time()))

    # --- send cap ---
    def sends_since(self, address: str, since: float) -> int:
        with self._lock:
            self._db.execute("DELETE FROM sends WHERE at < ?", (time.time() - 7200,))
            row = self._db.execute("SELECT COUNT(*) FROM sends WHERE address=? AND at>=?",
                                   (address, since)).fetchone()
        return int(row[0])

    def record_send(self, address: str, at: float | None = None) -> None:
        with self._lock:
            self._db.execute("INSERT INTO sends VALUES (?,?)", (address, time.time() if at is None else at))

    # --- loop guard ---
    def answered_before(self, address: str, digest: str, window_s: float) -> bool:
        with self._lock:
            row = self._db.execute("SELECT at FROM answered WHERE address=? AND digest=?",
                                   (address, digest)).fetchone()
        return row is not None and row[0] >= time.time() - window_s

    def record_answered(self, address: str, digest: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO answered VALUES (?,?,?) ON CONFLICT(address, digest) DO UPDATE "
                             "SET at=excluded.at", (address, digest, time.time()))
