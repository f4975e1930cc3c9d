"""Engine construction for every dialog test, in one factory (``make_engine``).

Real components, fake only the far side: tickets go through ``atende.adapters.tickets.TicketServiceAdapter``
into a real ``ticket_core.TicketStore`` and conversation state into
``atende.adapters.stores.SqlConversationStore``, both on
SQLite files under ``tmp_path``. Only the classifier and the KB are the keyword stand-ins (product code,
chosen for deterministic confidences; the classifier is fed the fixed lists of tests/dialog/keywords.py).
Tests look at what the real stores recorded through ``Desk``.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from atende.adapters.language import LinguaDetector
from atende.adapters.outages import StoreOutages
from atende.adapters.standins import DEMO_ARTICLES, KeywordArticle, KeywordClassifier, KeywordKnowledgeBase
from atende.adapters.stores import SqlConversationStore
from atende.adapters.tickets import TicketServiceAdapter
from dialog.engine import DialogEngine
from dialog.i18n import Catalogs
from dialog.playbooks import Playbooks
from dialog.settings import EngineSettings
from tests.dialog.keywords import IT_KEYWORDS
from ticket_core import Event, Ticket, TicketStore

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
AGENT = "agent:alice"


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Desk:
    """An engine with its real collaborators, so tests can read the tickets and the conversation state
    that were actually stored (and play the agent's side on the ticket store)."""

    engine: DialogEngine
    tickets: TicketStore
    service: TicketServiceAdapter
    kb: KeywordKnowledgeBase
    store: SqlConversationStore
    clock: Clock
    settings: EngineSettings
    outages: StoreOutages | None = None

    async def state(self, key: str = "web:u1") -> dict[str, Any] | None:
        return await self.store.load(key)

    # -- reading the ticket store ---------------------------------------------------------------------

    def all(self) -> list[Ticket]:
        return self.tickets.list_tickets()

    def last(self) -> Ticket:
        """The newest ticket (fails the test when none was filed)."""
        rows = self.tickets.list_tickets(limit=1)
        assert rows, "no ticket was filed"
        return rows[0]

    def ticket(self, ref: str) -> Ticket:
        found = self.tickets.get(ref)
        assert found is not None, f"no ticket {ref}"
        return found

    def events(self, ref: str | None = None, kind: str | None = None) -> list[Event]:
        """The ticket's log after its filing (the transcript and opening entries come before ``created``)."""
        log = self.tickets.events(ref or self.last().reference)
        created = next(i for i, e in enumerate(log) if e.kind == "created")
        return [e for e in log[created + 1:] if kind is None or e.kind == kind]

    def messages(self, ref: str | None = None) -> list[tuple[str, list[str]]]:
        """Follow-up messages from the requester: (text, attachment names). Not the ones the bot answered
        itself ("thanks", "status"), logged for the record with ``bot_handled``."""
        return [(e.payload["text"], list(e.payload["attachments"])) for e in self.events(ref, "message_in")
                if not e.payload.get("bot_handled")]

    def exchanges(self, ref: str | None = None) -> list[tuple[str, str]]:
        """Every message on the ticket's log after filing, in order: ("in" | "out", text)."""
        return [(e.kind.removeprefix("message_"), e.payload["text"])
                for e in self.events(ref) if e.kind in ("message_in", "message_out")]

    def outbound(self, ref: str | None = None) -> list[str]:
        """What the bot told the requester about the ticket after filing it."""
        return [e.payload["text"] for e in self.events(ref, "message_out")]

    def csat(self, ref: str | None = None) -> list[tuple[int, str | None]]:
        return [(e.payload["score"], e.payload["comment"]) for e in self.events(ref, "csat")]

    def transcript(self, ref: str | None = None) -> list[tuple[str, str]]:
        """The conversation filed with the ticket: (direction, text), oldest first."""
        log = self.tickets.events(ref or self.last().reference)
        created = next(i for i, e in enumerate(log) if e.kind == "created")
        return [(e.kind.removeprefix("message_"), e.payload["text"]) for e in log[:created]]

    # -- the agent's side -------------------------------------------------------------------------------

    def set_status(self, ref: str, status: str) -> Ticket:
        return self.tickets.transition(ref, status, AGENT)


@pytest.fixture(scope="session")
def detector() -> LinguaDetector:
    """The real lingua detector, built once for the session."""
    return LinguaDetector()


@pytest.fixture(scope="session")
def shipped() -> tuple[Catalogs, Playbooks]:
    """The catalogs and playbooks shipped in dialog/ (immutable, so loaded once)."""
    catalogs = Catalogs.load()
    return catalogs, Playbooks.load(None, catalogs.languages)


@pytest.fixture(scope="session")
def migrated_ticket_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ticket database migrated to head once; each engine gets a copy (opening a copy costs one query,
    running the migrations costs a hundred milliseconds per test)."""
    path = tmp_path_factory.mktemp("ticket-template") / "t.db"
    TicketStore.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def make_engine(detector: LinguaDetector, shipped: tuple[Catalogs, Playbooks], tmp_path: Path,
                migrated_ticket_db: Path) -> Iterator[Callable[..., Desk]]:
    opened: list[tuple[TicketStore, SqlConversationStore]] = []
    numbers = itertools.count(1)

    def factory(*, articles: Iterable[KeywordArticle] = DEMO_ARTICLES, classifier: Any = None,
                kb: Any = None, clock: Clock | None = None, catalogs: Catalogs | None = None,
                playbooks: Playbooks | None = None, outages: float | None = None, **settings: Any) -> Desk:
        """``outages``: offer known outages (the store's active ones) at this similarity threshold."""
        clock = clock or Clock()
        engine_settings = EngineSettings(**settings)
        custom = engine_settings.locales_dir is not None or engine_settings.playbooks_dir is not None
        folder = tmp_path / f"desk{next(numbers)}"
        folder.mkdir()
        shutil.copyfile(migrated_ticket_db, folder / "t.db")
        ticket_store = TicketStore.open(f"sqlite:///{folder}/t.db", clock=clock)
        conversations = SqlConversationStore(f"sqlite:///{folder}/c.db")
        opened.append((ticket_store, conversations))
        service = TicketServiceAdapter(ticket_store)
        knowledge = kb or KeywordKnowledgeBase(articles)
        known = StoreOutages(ticket_store, service, outages) if outages is not None else None
        engine = DialogEngine(classifier or KeywordClassifier(IT_KEYWORDS), knowledge, service, conversations,
                              detector,
                              engine_settings, catalogs=catalogs or (None if custom else shipped[0]),
                              playbooks=playbooks or (None if custom else shipped[1]), clock=clock,
                              outages=known)
        return Desk(engine, ticket_store, service, knowledge, conversations, clock, engine_settings, known)

    yield factory
    for ticket_store, conversations in opened:
        ticket_store.close()
        conversations.close()


@pytest.fixture
def desk(make_engine: Callable[..., Desk]) -> Desk:
    return make_engine()
