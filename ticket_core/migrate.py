"""Programmatic Alembic: the store migrates its database when it opens, so no deployment step is forgotten
and no alembic.ini is needed. Concurrent openers (several workers starting at once) are serialised: on
PostgreSQL by a transaction-level advisory lock, on SQLite by the write lock of ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

VERSION_TABLE = "ticket_core_alembic_version"
MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x41_74_65_6E_64_65  # "Atende"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def head_revisions() -> tuple[str, ...]:
    """Every head: features developed side by side may each add a revision on the same parent, and
    ``upgrade`` applies all of them (a later merge revision joins them without changing any schema)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def head_revision() -> str | None:
    heads = head_revisions()
    return ",".join(heads) if heads else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _current(conn)


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision``. A database already at head costs one query: every worker and CLI
    command opens the store, and loading the migration scripts each time would dominate their start-up."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        if revision in ("head", "heads") and _current(conn) == head_revision():
            return
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "heads" if revision == "head" else revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """For tests and emergencies only: ``base`` drops every ticket table."""
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _current(conn: Connection) -> str | None:
    heads = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_heads()
    return ",".join(sorted(heads)) if heads else None
