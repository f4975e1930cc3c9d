"""Engine set-up for the two supported databases.

SQLite is the embedded default: WAL (readers never block the writer), foreign keys on, a generous busy
timeout, and write transactions that start with ``BEGIN IMMEDIATE`` so two threads filing tickets queue on
the write lock instead of failing with "database is locked" half-way through. PostgreSQL needs nothing
special: row locks (counter row, ``SELECT ... FOR UPDATE``) serialise what must be serialised.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

#: Execution option that marks an engine (see :func:`writer`) whose transactions will write.
WRITE_OPTION = "ticket_core_write"
SQLITE_BUSY_TIMEOUT_S = 30.0


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    memory = database in ("", ":memory:") or parsed.query.get("mode") == "memory"
    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    if memory:
        # One shared connection: fine for a single-threaded test, not for concurrent use.
        kwargs = {"connect_args": {"check_same_thread": False}, "poolclass": StaticPool}
    elif not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if not memory:
                _enable_wal(cursor)
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch a new database to WAL. The switch needs an exclusive lock and SQLite may refuse it at once
    ("database is locked") when several processes open a new file together, busy_timeout or not: retry."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def writer(engine: Engine) -> Engine:
    """The same pool, with transactions that take SQLite's write lock up front."""
    return engine.execution_options(**{WRITE_OPTION: True})
