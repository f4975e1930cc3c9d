"""Ports: what the engine needs from the rest of the product, as narrow Protocols.

dialog/ imports no SDK, no ML library and no database library. The classifier, the knowledge base and the
ticket core are adapted to these protocols in the composition root (atende/), so each can be replaced (or
served by a keyword stand-in during development) without touching the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from dialog.messages import Attachment, Identity

TicketType = Literal["incident", "request", "problem", "change"]
Level = Literal["low", "medium", "high"]


@dataclass(frozen=True, slots=True)
class Prediction:
    """One head of the classifier: the best label, its calibrated probability and the ranked alternatives."""

    label: str
    confidence: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Classification:
    category: Prediction
    type: Prediction
    priority: Prediction
    model_version: str = "unknown"


class Classifier(Protocol):
    """Predicts category (ticket_core category names), type (incident/request/problem/change) and a
    priority prior (low/medium/high) from the user's description."""

    @property
    def version(self) -> str: ...

    @property
    def categories(self) -> Sequence[str]: ...

    async def classify(self, text: str, language: str | None = None) -> Classification: ...


@dataclass(frozen=True, slots=True)
class ArticleSuggestion:
    article_id: str
    title: str
    language: str
    summary: str
    score: float
    body: str = ""
    url: str | None = None


class KnowledgeBase(Protocol):
    async def suggest(
        self, query: str, language: str, category: str | None = None, k: int = 3
    ) -> list[ArticleSuggestion]:
        """Best articles above the confidence threshold, the user's language first; [] when none fits."""
        ...

    async def record_feedback(
        self, article_id: str, event: Literal["shown", "accepted", "rejected", "reopened"], requester: str
    ) -> None:
        """Deflection statistics: shown, accepted ("it solved it"), rejected, reopened/re-reported."""
        ...


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    direction: Literal["in", "out"]
    text: str
    at: datetime
    option: str | None = None  # the id of the option the user pressed (``text`` is its label)


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """Everything the intake collected, handed to the ticket core in one piece."""

    title: str
    description: str
    category: str
    type: TicketType
    impact: Literal["individual", "team", "organization"]
    urgency: Level
    channel: str
    requester: Identity
    language: str
    answers: Mapping[str, str] = field(default_factory=dict)
    classification: Classification | None = None
    transcript: tuple[TranscriptLine, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    kb_article_id: str | None = None
    conversation_key: str | None = None
    service: str | None = None  # the affected service, when known (a report joined to a known outage)


@dataclass(frozen=True, slots=True)
class TicketSummary:
    reference: str
    title: str
    status: str
    priority: str  # P1..P5
    category: str
    type: str
    channel: str
    created_at: datetime
    resolution_due: datetime | None = None
    first_response_due: datetime | None = None
    needs_human: bool = False
    kb_article_id: str | None = None


class TicketService(Protocol):
    """The ticket core as the engine sees it. Every call names the requester: a user only ever reaches
    their own tickets (an unknown or foreign reference behaves as not found)."""

    async def create_ticket(self, draft: TicketDraft) -> TicketSummary: ...

    async def record_self_service(self, draft: TicketDraft, article_id: str) -> TicketSummary:
        """A report solved by a KB article: stored with status self_service_resolved."""
        ...

    async def add_message(
        self, reference: str, requester: Identity, text: str, attachments: Sequence[Attachment] = ()
    ) -> TicketSummary | None: ...

    async def record_outbound(self, reference: str, text: str, channel: str) -> None: ...

    async def record_inbound(self, reference: str, requester: Identity, text: str) -> None:
        """Log a message of the requester's that the bot answered itself (thanks, "status", "help") on the
        ticket the conversation is about, so the desk sees the whole exchange. Unlike add_message it is not
        an answer to the desk: a ticket waiting for the user keeps waiting."""
        ...

    async def get_ticket(self, reference: str, requester: Identity) -> TicketSummary | None: ...

    async def list_open_tickets(self, requester: Identity) -> list[TicketSummary]: ...

    async def close_ticket(self, reference: str, requester: Identity) -> TicketSummary | None: ...

    async def request_human(self, reference: str, requester: Identity) -> TicketSummary | None: ...

    async def record_csat(
        self, reference: str, requester: Identity, score: int, comment: str | None
    ) -> None: ...

    async def reopen_ticket(self, reference: str, requester: Identity) -> TicketSummary | None: ...


@dataclass(frozen=True, slots=True)
class KnownOutage:
    """A problem the desk already knows about (a major incident, or a ticket a monitoring alert opened)
    that a user's report may be one more symptom of."""

    reference: str
    title: str
    since: datetime
    service: str | None = None
    major: bool = False


class KnownOutages(Protocol):
    """Active outages, matched against a new report before the intake asks anything. Optional: an engine
    without it never offers one."""

    async def match(self, text: str, language: str, category: str | None) -> KnownOutage | None:
        """The active outage this report most likely describes (``category``: the classifier's best
        category for ``text``), or None when none is close enough."""
        ...

    async def join(self, reference: str, draft: TicketDraft) -> TicketSummary:
        """File the report as a child of the outage ``reference``: its requester hears when the outage is
        resolved. Raises LookupError when that outage is no longer active."""
        ...


class LanguageDetector(Protocol):
    """Detects the language of a user message. Returns an ISO 639-1 code (or None when unsure) and a
    confidence in [0, 1]; the engine decides what to do with unsupported languages."""

    def detect(self, text: str) -> tuple[str | None, float]: ...


class ConversationStore(Protocol):
    """Durable conversation state. ``save`` stores the state and the replies produced for one inbound
    message atomically, so a redelivered message (same idempotency key) returns the same replies and
    changes nothing."""

    async def load(self, key: str) -> dict[str, Any] | None: ...

    async def save(
        self,
        key: str,
        state: dict[str, Any],
        message_key: str | None = None,
        replies: list[dict[str, Any]] | None = None,
    ) -> None: ...

    async def processed(self, message_key: str) -> list[dict[str, Any]] | None:
        """The replies stored for an already processed message, or None."""
        ...


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """Something an agent (or the ticket core) did to a ticket that the requester must hear about.

    Added for ``DialogEngine.notify``: the composition root turns ticket-core events into these and
    delivers the returned replies through the conversation's channel. ``text`` is the agent's public reply
    (agent_reply) or an optional resolution note (resolved); ``status`` is the new status (status_changed).
    The handoff kinds: an agent took the conversation (handoff_taken, ``author`` is the name the user is
    told), handed it back to the bot (handoff_released), or nobody took it in time (handoff_timed_out).
    """

    kind: Literal["agent_reply", "status_changed", "resolved", "handoff_taken", "handoff_released",
                  "handoff_timed_out"]
    reference: str
    text: str | None = None
    status: str | None = None
    author: str | None = None
