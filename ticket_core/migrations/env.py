"""Alembic environment of the ticket core.

Run programmatically by :func:`ticket_core.migrate.upgrade`, which passes an open connection in
``config.attributes["connection"]``; there is no alembic.ini. The version table has its own name so other
parts of Atende can keep their own migrations in the same database.
"""

from __future__ import annotations

from alembic import context

from ticket_core.migrate import VERSION_TABLE
from ticket_core.schema import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - offline mode is not supported
    raise RuntimeError("ticket_core migrations run through ticket_core.migrate.upgrade(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
