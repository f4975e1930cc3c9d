"""Ticket core: the ticket domain (model, lifecycle, ITIL priority and SLA), its append-only event log and
its storage (SQLAlchemy 2 on SQLite or PostgreSQL, migrated with Alembic on open).

Imports none of Atende's other packages; the composition root adapts it to ``dialog.ports.TicketService``.
"""

from ticket_core.domain import (
    EVENT_KINDS,
    IMPACTS,
    OPEN_STATUSES,
    PRIORITIES,
    RECORDABLE_EVENT_KINDS,
    REFERENCE_PREFIX,
    STATE_EVENT_KINDS,
    STATUSES,
    TICKET_TYPES,
    URGENCIES,
    AttachmentInfo,
    AttachmentLike,
    ChannelIdentity,
    Event,
    InvalidTransition,
    InvalidValue,
    NewAttachment,
    NewTicket,
    Person,
    RequesterIdentity,
    Ticket,
    TicketError,
    TicketNotFound,
    TrainingRow,
    is_agent_actor,
    is_first_response,
    priority_level,
)
from ticket_core.lifecycle import TRANSITIONS
from ticket_core.policy import DEFAULT_MATRIX, DEFAULT_SLA, SlaTarget, TicketPolicy
from ticket_core.store import TicketStore

__all__ = [
    "DEFAULT_MATRIX",
    "DEFAULT_SLA",
    "EVENT_KINDS",
    "IMPACTS",
    "OPEN_STATUSES",
    "PRIORITIES",
    "RECORDABLE_EVENT_KINDS",
    "REFERENCE_PREFIX",
    "STATE_EVENT_KINDS",
    "STATUSES",
    "TICKET_TYPES",
    "TRANSITIONS",
    "URGENCIES",
    "AttachmentInfo",
    "AttachmentLike",
    "ChannelIdentity",
    "Event",
    "InvalidTransition",
    "InvalidValue",
    "NewAttachment",
    "NewTicket",
    "Person",
    "RequesterIdentity",
    "SlaTarget",
    "Ticket",
    "TicketError",
    "TicketNotFound",
    "TicketPolicy",
    "TicketStore",
    "TrainingRow",
    "is_agent_actor",
    "is_first_response",
    "priority_level",
]
