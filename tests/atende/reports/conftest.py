"""The reports suite runs the seeded history on SQLite and on PostgreSQL (the storage suite's fixtures)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
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


@pytest.fixture
async def seeded_runtime(settings_factory: Any) -> AsyncIterator[Runtime]:
    """A whole Atende whose ticket database holds the seeded history (written before it starts)."""
    settings = settings_factory(console_failure_delay=0)
    clock = Clock()
    with TicketStore.open(settings.resolved_database_url, clock=clock) as store:
        seed(store, clock)
    rt = build_runtime(settings, env={})
    yield rt
    rt.close()


@pytest.fixture
async def seeded_app(seeded_runtime: Runtime) -> AsyncIterator[FastAPI]:
    application = create_app(seeded_runtime)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(seeded_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=seeded_app), base_url="http://atende.test"
    ) as c:
        yield c
