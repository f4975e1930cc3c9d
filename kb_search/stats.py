"""Deflection statistics per article: how often it was shown, accepted ("it solved it"), rejected, and how
often an accepted article did not really solve the problem: the same requester reopened the report, or was
shown the same article again (re-reported the problem), within 7 days of accepting it.

Stored in SQLite (a file path, ``sqlite:///path`` or ``:memory:``) through the standard library, so the
package needs no database dependency. One connection guarded by a lock: the writes are tiny and rare.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Event = Literal["shown", "accepted", "rejected", "reopened"]
EVENTS: tuple[str, ...] = ("shown", "accepted", "rejected", "reopened")
REOPEN_WINDOW_DAYS = 7

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kb_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('shown', 'accepted', 'rejected', 'reopened')),
    requester TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kb_events_article ON kb_events (article_id, requester, at);
"""


@dataclass(frozen=True, slots=True)
class ArticleStats:
    article_id: str
    shown: int
    accepted: int
    rejected: int
    reopened: int  # accepted, then reopened or re-reported by the same requester within 7 days

    @property
    def deflected(self) -> int:
        """Accepted and not back within 7 days: reports the service desk never had to handle."""
        return self.accepted - self.reopened

    @property
    def deflection_rate(self) -> float:
        return self.deflected / self.shown if self.shown else 0.0


def _path(url_or_path: str | Path) -> str:
    s = str(url_or_path)
    if s.startswith("sqlite:///"):
        return s[len("sqlite:///") :] or ":memory:"
    if s in ("sqlite://", ":memory:"):
        return ":memory:"
    if "://" in s:
        raise ValueError(
            f"deflection statistics support SQLite only (a path or sqlite:///path), got {s.split('://')[0]}://"
        )
    return s


def _iso(at: datetime | None) -> str:
    at = at or datetime.now(UTC)
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(sep=" ", timespec="microseconds")


class DeflectionStats:
    def __init__(self, url_or_path: str | Path) -> None:
        path = _path(url_or_path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout = 5000")
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def record(self, article_id: str, event: Event | str, requester: str, at: datetime | None = None) -> None:
        """Store one event; ``at`` defaults to now (naive datetimes are taken as UTC)."""
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; expected one of {', '.join(EVENTS)}")
        if not article_id or not requester:
            raise ValueError("article_id and requester are required")
        with self._lock:
            self._conn.execute(
                "INSERT INTO kb_events (article_id, event, requester, at) VALUES (?, ?, ?, ?)",
                (article_id, event, requester, _iso(at)),
            )

    def stats(self, article_id: str | None = None, since: datetime | None = None) -> list[ArticleStats]:
        """Counters per article (sorted by id), optionally for one article and/or events from ``since``."""
        where, args = ["1 = 1"], []
        if article_id:
            where.append("a.article_id = ?")
            args.append(article_id)
        if since:
            where.append("a.at >= ?")
            args.append(_iso(since))
        cond = " AND ".join(where)
        sql = f"""
            SELECT a.article_id,
                   SUM(a.event = 'shown'), SUM(a.event = 'accepted'), SUM(a.event = 'rejected'),
                   SUM(a.event = 'accepted' AND EXISTS (
                       SELECT 1 FROM kb_events b
                       WHERE b.article_id = a.article_id AND b.requester = a.requester
                         AND b.event IN ('reopened', 'shown')
                         AND julianday(b.at) > julianday(a.at)
                         AND julianday(b.at) <= julianday(a.at) + {REOPEN_WINDOW_DAYS}))
            FROM kb_events a WHERE {cond}
            GROUP BY a.article_id ORDER BY a.article_id
        """
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [ArticleStats(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]

    def article(self, article_id: str) -> ArticleStats:
        found = self.stats(article_id)
        return found[0] if found else ArticleStats(article_id, 0, 0, 0, 0)
