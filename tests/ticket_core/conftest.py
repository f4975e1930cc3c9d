"""The storage suite runs on both backends: every test that takes ``store`` (or ``database_url``) runs once
on a SQLite file and once on a real PostgreSQL server started by tests/conftest.py.

Both backends are migrated once per session; each test then gets a copy of the migrated SQLite file, or the
PostgreSQL database emptied (a few ms instead of a CREATE DATABASE and a migration). Migration tests use
``empty_database_url`` for a truly empty database.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.services import PostgresServer
from ticket_core import NewTicket, RequesterIdentity, TicketPolicy, TicketStore
from ticket_core.schema import Base, CounterRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Clock:
    """A controllable clock handed to the store, so windows and SLA times are tested without sleeping."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ticket-template") / "tickets.db"
    TicketStore.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture(scope="session")
def postgres_tickets_db(
    postgres_server: PostgresServer,
) -> Iterator[tuple[str, psycopg.Connection[tuple[object, ...]]]]:
    url = postgres_server.create_database("tickets")
    TicketStore.open(url).close()
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        yield url, conn


def _empty_postgres(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Delete every row (triggers, including the append-only guard, are off for a replication-role session)
    and reset the reference counters."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != CounterRow.__tablename__]
    statements = [
        "SET session_replication_role = replica",
        *(f"DELETE FROM {t}" for t in tables),
        "UPDATE ticket_counters SET value = 0",
        "SET session_replication_role = origin",
    ]
    conn.execute("; ".join(statements))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty ticket database."""
    if request.param == "sqlite":
        path = tmp_path / "tickets.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url, conn = request.getfixturevalue("postgres_tickets_db")
    _empty_postgres(conn)
    return str(url)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database without a single table."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("postgres_database_url"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def policy() -> TicketPolicy:
    return TicketPolicy()


@pytest.fixture
def store(database_url: str, clock: Clock, policy: TicketPolicy) -> Iterator[TicketStore]:
    s = TicketStore.open(database_url, policy, clock=clock)
    try:
        yield s
    finally:
        s.close()


def new_ticket(
    *,
    channel: str = "web",
    address: str = "session-1",
    email: str | None = None,
    phone: str | None = None,
    **fields: object,
) -> NewTicket:
    """A plausible intake result; override any NewTicket field by keyword."""
    values: dict[str, object] = {
        "title": "VPN drops every few minutes",
        "description": "Since this morning the VPN disconnects every 5 minutes.",
        "category": "network",
        "type": "incident",
        "impact": "individual",
        "urgency": "medium",
        "channel": channel,
        "requester": RequesterIdentity(channel, address, display_name="Ana", email=email, phone=phone),
        "language": "en",
    }
    values.update(fields)
    return NewTicket(**values)  # type: ignore[arg-type]
