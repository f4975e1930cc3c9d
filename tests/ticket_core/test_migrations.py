"""Migrations create the schema on an empty database, are idempotent, and match the ORM models."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tests.ticket_core.conftest import new_ticket
from ticket_core import TicketStore, migrate
from ticket_core.engine import make_engine
from ticket_core.schema import Base

TABLES = {"people", "person_identities", "ticket_counters", "tickets", "ticket_attachments", "ticket_events",
          "alerts", "alert_rejections", "sla_notifications"}


def test_open_migrates_an_empty_database(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert not set(inspect(engine).get_table_names()) & TABLES
        assert migrate.current_revision(engine) is None
        with TicketStore.open(empty_database_url) as store:
            assert store.create_ticket(new_ticket()).reference == "INC-000001"
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert migrate.head_revisions() == ("0008",)  # one chain: 0004 alerts ... 0008 report indexes
        assert migrate.VERSION_TABLE in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_migrations_are_idempotent(empty_database_url: str) -> None:
    with TicketStore.open(empty_database_url) as store:
        ref = store.create_ticket(new_ticket()).reference
    for _ in range(2):
        with TicketStore.open(empty_database_url) as store:
            assert store.get(ref) is not None
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine)  # the full alembic path too, not only the at-head shortcut
        migrate.upgrade(engine, "heads")
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_upgrade_from_0001_keeps_the_data_and_adds_the_index(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine, "0001")
        indexes = {i["name"] for i in inspect(engine).get_indexes("tickets")}
        assert "ix_tickets_conversation_key" not in indexes
    finally:
        engine.dispose()
    with TicketStore.open(empty_database_url) as store:  # opening migrates to head
        ref = store.create_ticket(new_ticket()).reference
        assert store.get(ref) is not None
    engine = make_engine(empty_database_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert "ix_tickets_conversation_key" in {i["name"] for i in inspect(engine).get_indexes("tickets")}
    finally:
        engine.dispose()


def test_migrations_match_the_models(empty_database_url: str) -> None:
    TicketStore.open(empty_database_url).close()
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [d for d in compare_metadata(context, Base.metadata) if not _is_version_table(d)]
        assert diff == []
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again(empty_database_url: str) -> None:
    TicketStore.open(empty_database_url).close()
    engine = make_engine(empty_database_url)
    try:
        migrate.downgrade(engine, "base")
        assert not set(inspect(engine).get_table_names()) & TABLES
        migrate.upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_sqlite_pragmas(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/sub/dir/t.db"  # parent folders are created
    with TicketStore.open(url) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _is_version_table(diff: object) -> bool:
    return isinstance(diff, tuple) and getattr(diff[1], "name", None) == migrate.VERSION_TABLE


def test_concurrent_open_of_an_empty_database(empty_database_url: str) -> None:
    """Several workers starting at once against a new database: one migrates, the others wait and reuse."""
    barrier = threading.Barrier(4)

    def open_and_file(i: int) -> str:
        barrier.wait()
        with TicketStore.open(empty_database_url) as store:
            return store.create_ticket(new_ticket(address=f"w{i}")).reference

    with ThreadPoolExecutor(4) as pool:
        refs = sorted(pool.map(open_and_file, range(4)))
    assert refs == [f"INC-00000{i}" for i in range(1, 5)]


def test_in_memory_sqlite_for_single_threaded_use() -> None:
    with TicketStore.open("sqlite://") as store:
        assert store.create_ticket(new_ticket()).reference == "INC-000001"
