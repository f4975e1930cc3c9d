"""The ticket domain as plain values: what callers of :class:`ticket_core.TicketStore` get back and hand in.

Everything here is a frozen dataclass so that callers (the async composition root, the agent API, the dialog
adapter) never hold an ORM object or a database session: a value read in one thread can be used in any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

TicketType = Literal["incident", "request", "problem", "change"]
Impact = Literal["individual", "team", "organization"]
Urgency = Literal["low", "medium", "high"]
Priority = Literal["P1", "P2", "P3", "P4", "P5"]
Status = Literal["new", "open", "in_progress", "pending_user", "resolved", "closed", "self_service_resolved"]
Direction = Literal["in", "out"]

TICKET_TYPES: tuple[str, ...] = ("incident", "request", "problem", "change")
IMPACTS: tuple[str, ...] = ("individual", "team", "organization")
URGENCIES: tuple[str, ...] = ("low", "medium", "high")
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4", "P5")
STATUSES: tuple[str, ...] = (
    "new",
    "open",
    "in_progress",
    "pending_user",
    "resolved",
    "closed",
    "self_service_resolved",
)
#: Statuses in which the desk still owes the requester something (``open_only`` listings, "status" command).
OPEN_STATUSES: frozenset[str] = frozenset({"new", "open", "in_progress", "pending_user"})

#: The channel of tickets that monitoring opened (alerts): it has no requester to talk to.
ALERT_CHANNEL = "alert"

#: Reference prefix per ticket type. The reference never changes, even when an agent re-types the ticket.
REFERENCE_PREFIX: Mapping[str, str] = {"incident": "INC", "request": "REQ", "problem": "PRB", "change": "CHG"}

#: Event kinds of the append-only log. ``record_event`` refuses anything else, so reports can rely on them.
EVENT_KINDS: frozenset[str] = frozenset(
    {
        "created",
        "message_in",
        "message_out",
        "status_changed",
        "classified",
        "field_changed",
        "assigned",
        "agent_reply",
        "notification_sent",
        "notification_failed",
        "csat",
        "human_requested",
        "kb_linked",
        "linked",
        "alert",
        "internal_note",
        "merged",
        # An agent took the requester's conversation (the bot goes silent), handed it back to the bot, or
        # nobody took it in time (the requester was told the desk answers on the ticket).
        "handoff_taken",
        "handoff_released",
        "handoff_timed_out",
        # The SLA scanner: a warning at a percentage of a target, a breach, an escalation rule applied.
        "sla_warning",
        "sla_breached",
        "sla_escalated",
    }
)

#: Kinds the store writes itself, together with the change they describe (``transition``, ``update``,
#: ``set_csat``, ``flag_human``, ``create_ticket``): ``record_event`` refuses them, so the log can never
#: claim a change that did not happen.
STATE_EVENT_KINDS: frozenset[str] = frozenset(
    {"created", "status_changed", "field_changed", "assigned", "csat", "human_requested", "linked", "alert",
     "merged"}
)
#: Kinds callers may append with ``record_event`` (deliveries, agent replies, classifications, KB links ...).
RECORDABLE_EVENT_KINDS: frozenset[str] = EVENT_KINDS - STATE_EVENT_KINDS

#: Actors that are not service-desk agents: a field they change is not a "correction" for retraining.
NON_AGENT_ACTORS: frozenset[str] = frozenset({"system", "bot", "requester"})


def is_agent_actor(actor: str) -> bool:
    """``"system"``, ``"bot"``, ``"requester"`` and ``"requester:<anything>"`` are not agents; all else is."""
    return actor not in NON_AGENT_ACTORS and not actor.startswith("requester:")


def is_first_response(kind: str, payload: Mapping[str, Any], actor: str) -> bool:
    """An event that answers the requester for the first-response SLA: a public ``agent_reply`` by an agent
    (an internal note, ``{"internal": true}``, or the bot's words do not count)."""
    return kind == "agent_reply" and is_agent_actor(actor) and not payload.get("internal")


class TicketError(Exception):
    """Base of every error ticket_core raises on purpose."""


class TicketNotFound(TicketError, LookupError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no ticket {reference!r}")
        self.reference = reference


class InvalidTransition(TicketError):
    """A status change the lifecycle does not allow (or a reopen after the window closed)."""

    def __init__(self, reference: str, current: str, target: str, reason: str = "not allowed") -> None:
        super().__init__(f"{reference}: cannot move from {current!r} to {target!r} ({reason})")
        self.reference = reference
        self.current = current
        self.target = target
        self.reason = reason


class InvalidValue(TicketError, ValueError):
    """A field value outside its domain (unknown type, CSAT 7, unknown event kind, bad policy ...)."""


class AttachmentLike(Protocol):
    """Anything shaped like an attachment (``dialog.messages.Attachment`` fits without an import)."""

    @property
    def name(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def path(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class NewAttachment:
    name: str
    content_type: str
    size: int
    path: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: int
    name: str
    content_type: str
    size: int
    path: str | None
    url: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelIdentity:
    channel: str
    address: str


@dataclass(frozen=True, slots=True)
class Person:
    """A requester. ``email`` and ``phone`` are verified contact data that link identities across channels."""

    id: int
    display_name: str | None
    email: str | None
    phone: str | None
    identities: tuple[ChannelIdentity, ...]


@dataclass(frozen=True, slots=True)
class RequesterIdentity:
    """Who reported, as the channel knows them (``address`` is the channel-native id)."""

    channel: str
    address: str
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class NewTicket:
    """Everything the intake collected. ``transcript`` holds ``(direction, text, at)`` triples, or
    ``(direction, text, at, option_id)`` for a pressed option (``text`` is the label shown), oldest first;
    ``classification`` is ``{"model_version": str, "<head>": {"label": str, "confidence": float}, ...}``."""

    title: str
    description: str
    category: str
    type: str
    impact: str
    urgency: str
    channel: str
    requester: RequesterIdentity
    conversation_key: str | None = None
    language: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    classification: Mapping[str, Any] | None = None
    transcript: Sequence[tuple[str, str, datetime] | tuple[str, str, datetime, str | None]] = ()
    attachments: Sequence[AttachmentLike] = ()
    kb_article_id: str | None = None
    status: str = "new"
    priority: str | None = None  # None: from the policy's impact x urgency matrix
    service: str | None = None  # the affected service (an alert's ``service`` label, a matched outage)


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    reference: str
    title: str
    description: str
    category: str
    type: str
    impact: str
    urgency: str
    priority: str
    status: str
    language: str | None
    requester: Person
    channel: str
    conversation_key: str | None
    assignee: str | None
    needs_human: bool
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    kb_article_id: str | None
    classification: dict[str, Any] | None
    answers: dict[str, Any]
    csat_score: int | None
    csat_comment: str | None
    resolved_at: datetime | None
    closed_at: datetime | None
    attachments: tuple[AttachmentInfo, ...] = ()
    #: The major incident (or other parent) this ticket is a child of; resolving it resolves this one.
    parent_reference: str | None = None
    major_incident: bool = False
    service: str | None = None
    #: When an agent (never the bot) first replied publicly; None until then.
    first_responded_at: datetime | None = None
    #: The last computed SLA state as stored (see ``ticket_core.sla``); None before the first computation.
    sla: dict[str, Any] | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a ticket's append-only log. ``id`` grows with time; order by it."""

    id: int
    reference: str
    kind: str
    payload: dict[str, Any]
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CannedResponse:
    """A reply text agents insert into the reply box. ``body`` may hold ``{requester_name}`` and
    ``{reference}``; :func:`ticket_core.canned.fill` replaces exactly those and leaves other braces alone."""

    id: int
    title: str
    language: str
    body: str
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TrainingRow:
    """One ticket as the desk finally labelled it. ``corrected`` is True when an agent changed category,
    type or priority (or impact/urgency, which move the priority) after the bot filed it."""

    reference: str
    text: str
    category: str
    type: str
    priority_level: str  # low / medium / high
    corrected: bool
    language: str | None
    status: str = ""  # resolved / closed: an agent worked the ticket to the end under this category


def priority_level(priority: str) -> str:
    """The classifier's three-level priority prior for a P1-P5 priority: P1-P2 high, P3 medium, P4-P5 low."""
    return {"P1": "high", "P2": "high", "P3": "medium", "P4": "low", "P5": "low"}[priority]
