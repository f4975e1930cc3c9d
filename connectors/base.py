"""What every connector shares: the intake it feeds, the typed delivery error, retries, option fallback.

A connector is four small things: its settings, a pure ``parse(raw) -> InboundMessage | None``, a pure
``render(replies) -> native payload`` and a class that *holds* the SDK client. The HTTP routes authenticate
the request before parsing it, hand the message to the :class:`Intake` (which records it durably and
de-duplicates it) and only then acknowledge.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from connectors.markdown import to_plain
from dialog.messages import InboundMessage, Option, Reply

if TYPE_CHECKING:
    from connectors.web.store import WebChatStore

log = logging.getLogger(__name__)

T = TypeVar("T")


class ChannelError(Exception):
    """A delivery to a provider failed. Every connector translates its SDK's errors into this, once."""

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


@dataclass(frozen=True, slots=True)
class IntakeResult:
    replies: list[Reply]
    duplicate: bool


class Intake(Protocol):
    """Implemented by the composition root (atende.intake). Connectors depend on this, not on the engine."""

    async def receive(self, message: InboundMessage) -> bool:
        """Record the message durably. False when its idempotency key was already seen (a redelivery)."""
        ...

    async def process(self, message: InboundMessage) -> list[Reply]:
        """Run the dialog engine on a received message (ordered per conversation); returns the replies."""
        ...

    async def handle(self, message: InboundMessage) -> IntakeResult:
        """receive + process; a duplicate returns the replies stored for it the first time."""
        ...

    async def delivery_failed(self, message: InboundMessage | None, channel: str, address: str,
                              error: ChannelError) -> None:
        """Record a failed outbound delivery (in the ticket's event log when there is a ticket)."""
        ...


class Outbound(Protocol):
    """A connector that can push messages on its own (agent replies, status changes, CSAT prompts).

    ``conversation_key`` is the key the connector itself put on the InboundMessage, so it knows how to
    turn it back into a chat id, a phone number, a Slack thread or an e-mail address.
    """

    channel: str

    async def send(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None = None) -> None:
        """Deliver replies; raise ChannelError when the provider refuses (after retries)."""
        ...


@runtime_checkable
class AttributedOutbound(Protocol):
    """An Outbound that can show who wrote a push (the agent's display name next to the reply)."""

    async def send_from(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None,
                        author: str) -> None: ...


@dataclass(slots=True)
class Mounted:
    """What a configured connector contributes to ``atende serve``.

    ``router`` is a FastAPI APIRouter with the webhook routes (already authenticating before parsing);
    ``outbound`` pushes messages; ``start``/``stop`` run background work in the server's event loop (SMTP
    listener, IMAP poller, Telegram long polling).
    """

    name: str
    channels: tuple[str, ...]
    router: Any | None = None
    outbound: Outbound | None = None
    start: Callable[[], Awaitable[None]] | None = None
    stop: Callable[[], Awaitable[None]] | None = None


def numbered_options(options: Sequence[Option]) -> str:
    """The plain-text rendering of options for channels without buttons (SMS, WhatsApp, e-mail)."""
    return "\n".join(f"{i}. {opt.label}" for i, opt in enumerate(options, start=1))


def render_plain(reply: Reply) -> str:
    """A reply as plain text with its options as a numbered list (written once, for every text channel).
    A knowledge-base article (Markdown) loses its markup but keeps its steps and links."""
    text = to_plain(reply.text) if reply.kind == "article" else reply.text
    if not reply.options:
        return text
    return f"{text}\n{numbered_options(reply.options)}"


def resolve_numbered_answer(text: str, options: Sequence[Option]) -> str | None:
    """Map a typed answer ("2", "2.", " 2) ") to the option id it names, or None.

    Answers by words are left to the engine, which matches labels in every language.
    """
    token = text.strip().rstrip(".)").strip()
    if token.isdigit():
        idx = int(token)
        if 1 <= idx <= len(options):
            return options[idx - 1].id
    return None


async def with_retries(call: Callable[[], Awaitable[T]], *, attempts: int = 4, base_delay: float = 0.5,
                       max_delay: float = 30.0) -> T:
    """Run ``call``, retrying ChannelErrors marked retryable (429, 5xx) with jittered exponential backoff,
    honouring the provider's Retry-After when it gives one."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except ChannelError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            delay = exc.retry_after if exc.retry_after is not None else base_delay * 2 ** (attempt - 1)
            delay = min(max_delay, delay) * (1 + random.random() * 0.1)
            log.warning("delivery failed (%s), retry %d/%d in %.2fs", exc, attempt, attempts - 1, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def status_to_error(status: int, body: str = "", retry_after: str | None = None) -> ChannelError:
    """Translate an HTTP status from a provider into a ChannelError (429 and 5xx are retryable)."""
    ra: float | None = None
    if retry_after:
        try:
            ra = float(retry_after)
        except ValueError:
            ra = None
    retryable = status == 429 or status >= 500
    return ChannelError(f"provider answered {status}: {body[:200]}", retryable=retryable, retry_after=ra,
                        status=status)


class ConfigError(ValueError):
    """A channel is half-configured. The message names the missing or invalid ATENDE_* variable."""


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What the composition root hands every connector's ``mount(ctx, env)``."""

    intake: Intake
    data_dir: Path  # attachments go under data_dir / "attachments" / <channel>
    public_url: str | None  # ATENDE_PUBLIC_URL, the base URL providers call (signature checks)
    max_attachment_bytes: int = 10 * 1024 * 1024
    web_store: WebChatStore | None = None  # sessions and chat log of the web chat (connectors.web)
    #: Deliver on another channel: ``(channel, conversation_key, replies)``; raises ChannelError when that
    #: channel is not configured (the web chat mails its one-time codes through it).
    deliver: Callable[[str, str, Sequence[Reply]], Awaitable[None]] | None = None
