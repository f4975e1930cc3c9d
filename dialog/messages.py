"""The contract between channels and the engine.

Connectors build an :class:`InboundMessage` from a native event and deliver the :class:`Reply` objects the
engine returns. Both are frozen so a message can be queued, logged and replayed without anyone mutating it,
and channel specifics live in ``extras`` rather than being packed into ``text``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

#: Channel names used across the product (ticket origin, identity linking, routing of agent replies).
CHANNELS = ("web", "cli", "telegram", "whatsapp", "sms", "slack", "email", "voice")


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who wrote: a channel-native id plus whatever verified contact data the channel gives us.

    ``phone`` (E.164) and ``email`` are only set when the channel verified them (Twilio caller id, the
    e-mail From address, a Slack profile e-mail); they are what links one person across channels.
    ``verified`` is False when the channel could not confirm that ``native_id`` is really the sender (an
    e-mail From without an aligned DKIM signature or SPF pass): such a sender may report, but may not see
    or change tickets of the identity it claims.
    """

    channel: str
    native_id: str
    display_name: str | None = None
    phone: str | None = None
    email: str | None = None
    verified: bool = True

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.native_id}"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user sent, already stored by the connector (``path``) under the size cap."""

    name: str
    content_type: str
    size: int
    path: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One inbound user message, channel-neutral.

    ``provider_message_id`` makes the idempotency key (Telegram update_id, Twilio MessageSid, Slack event_id,
    e-mail Message-ID, a web client's message id). The key is scoped to the conversation: a client-chosen id
    reused by another user (or a provider id that is only unique per account) never matches someone else's
    message, so a duplicate can only ever return replies to the conversation that sent the original.
    ``option_id`` is set when the user picked one of the options of an earlier reply (a button, a digit).
    """

    channel: str
    conversation_key: str
    sender: Identity
    text: str = ""
    option_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    provider_message_id: str | None = None
    received_at: datetime = field(default_factory=utcnow)
    locale_hint: str | None = None
    extras: Mapping[str, Any] = field(default_factory=_empty)

    @property
    def idempotency_key(self) -> str | None:
        if not self.provider_message_id:
            return None
        return idempotency_key(self.conversation_key, self.provider_message_id)


MAX_KEY_CHARS = 300


def idempotency_key(conversation_key: str, message_id: str) -> str:
    """``conversation_key/message_id``; hashed when that would not fit the stores' key columns."""
    key = f"{conversation_key}/{message_id}"
    if len(key) <= MAX_KEY_CHARS:
        return key
    digest = hashlib.sha256(f"{conversation_key}\0{message_id}".encode()).hexdigest()
    return f"{conversation_key[:200]}/sha256:{digest}"


@dataclass(frozen=True, slots=True)
class Option:
    """A choice offered to the user. ``id`` is stable (never the translated label) so answers survive a
    language switch and can be given by number, button or word."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message from the bot. Connectors render ``options`` natively (buttons, numbered list, DTMF)."""

    text: str
    options: tuple[Option, ...] = ()
    ticket: str | None = None
    kind: str = "message"  # message | question | ticket | csat | notice; lets channels choose presentation

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "options": [{"id": o.id, "label": o.label} for o in self.options],
            "ticket": self.ticket,
        }
