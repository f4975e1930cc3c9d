"""Engine construction for every dialog test, in one factory (``make_engine``).

When ticket_core's adapter and the SQL conversation store land, rewire ``tickets``/``store`` here and the
whole transcript suite runs against them unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from atende.language import LinguaDetector
from atende.standins import (
    DEMO_ARTICLES,
    KeywordArticle,
    KeywordClassifier,
    KeywordKnowledgeBase,
    MemoryConversationStore,
)
from dialog.engine import DialogEngine
from dialog.i18n import Catalogs
from dialog.playbooks import Playbooks
from dialog.settings import EngineSettings
from tests.dialog.fakes import FakeTicketService

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Desk:
    """An engine with its collaborators, so tests can look at tickets, KB feedback and stored state."""

    engine: DialogEngine
    tickets: FakeTicketService
    kb: KeywordKnowledgeBase
    store: MemoryConversationStore
    clock: Clock
    settings: EngineSettings

    async def state(self, key: str = "web:u1") -> dict[str, Any] | None:
        return await self.store.load(key)


@pytest.fixture(scope="session")
def detector() -> LinguaDetector:
    """The real lingua detector, built once for the session."""
    return LinguaDetector()


@pytest.fixture(scope="session")
def shipped() -> tuple[Catalogs, Playbooks]:
    """The catalogs and playbooks shipped in dialog/ (immutable, so loaded once)."""
    catalogs = Catalogs.load()
    return catalogs, Playbooks.load(None, catalogs.languages)


@pytest.fixture
def make_engine(detector: LinguaDetector, shipped: tuple[Catalogs, Playbooks]) -> Callable[..., Desk]:
    def factory(*, articles: Iterable[KeywordArticle] = DEMO_ARTICLES, classifier: Any = None,
                kb: Any = None, clock: Clock | None = None, catalogs: Catalogs | None = None,
                playbooks: Playbooks | None = None, **settings: Any) -> Desk:
        clock = clock or Clock()
        engine_settings = EngineSettings(**settings)
        custom = engine_settings.locales_dir is not None or engine_settings.playbooks_dir is not None
        tickets = FakeTicketService(clock)
        knowledge = kb or KeywordKnowledgeBase(articles)
        store = MemoryConversationStore()
        engine = DialogEngine(classifier or KeywordClassifier(), knowledge, tickets, store, detector,
                              engine_settings, catalogs=catalogs or (None if custom else shipped[0]),
                              playbooks=playbooks or (None if custom else shipped[1]), clock=clock)
        return Desk(engine, tickets, knowledge, store, clock, engine_settings)

    return factory


@pytest.fixture
def desk(make_engine: Callable[..., Desk]) -> Desk:
    return make_engine()
