"""The reports suite runs the seeded history on SQLite and on PostgreSQL (the storage suite's fixtures)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.atende.reports.history import seed
from tests.ticket_core.conftest import (  # noqa: F401  (fixtures)
    Clock,
    database_url,
    postgres_tickets_db,
    sqlite_template,
)
from ticket_core import TicketStore


@pytest.fixture
def seeded(database_url: str) -> Iterator[tuple[TicketStore, Clock, dict[str, str]]]:  # noqa: F811
    clock = Clock()
    store = TicketStore.open(database_url, clock=clock)
    try:
        refs = seed(store, clock)
        yield store, clock, refs
    finally:
        store.close()
