"""What every connector shares: the inbox it feeds, the typed delivery error, retries, option fallback.

A connector is four small things: its settings, a pure ``parse(raw) -> InboundMessage | None``, a pure
``render(replies) -> native payload`` and a class that *holds* the SDK client. The HTTP routes authenticate
the request before parsing it, hand the message to the :class:`Inbox` (which records it durably and
de-duplicates it) and only then acknowledge.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
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
class Answered:
    """What ``Inbox.ask`` returns: the replies, and whether the message had been recorded before (a resend:
    the replies are the ones stored the first time, and nothing else happened)."""

    replies: list[Reply]
    duplicate: bool = False


class Inbox(Protocol):
    """Implemented by the composition root (atende.dispatch). Connectors record and acknowledge; they never
    run the engine: the Dispatcher does, in order per conversation, and delivers through the Outbound."""

    async def receive(self, message: InboundMessage) -> bool:
        """Record the message durably. False when its idempotency key was already seen (a redelivery)."""
        ...

    async def ask(self, message: InboundMessage, timeout: float) -> Answered | None:
        """Record and wait for the replies (channels that answer inside the request: web chat, voice).
        A resend gets the replies stored the first time; None on timeout (the replies follow by push)."""
        ...

    async def delivery_failed(self, message: InboundMessage | None, channel: str, address: str,
                              error: ChannelError) -> None:
        """Record a failed delivery of the connector's own (in the ticket's event log when there is one)."""
        ...


class Outbound(Protocol):
    """How a channel delivers. ``reply`` answers a recorded message (the Dispatcher calls it with the
    message itself, so the connector finds its chat id, thread or mail headers there); ``send`` pushes to a
    conversation (agent replies, status changes, CSAT prompts): ``conversation_key`` is the key the
    connector itself put on its messages. Both raise ChannelError when the provider refuses (after
    retries). A connector may also define ``async prepare(message) -> message``, which the Dispatcher runs
    before the engine (work too slow for the acknowledgement, such as downloading Slack files)."""

    channel: str

    async def reply(self, message: InboundMessage, replies: Sequence[Reply]) -> None: ...

    async def send(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None = None) -> None:
        ...


@runtime_checkable
class AttributedOutbound(Protocol):
    """An Outbound that can show who wrote a push (the agent's display name next to the reply)."""

    async def send_from(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None,
                        author: str) -> None: ...


@dataclass(slots=True)
class DeliveryProgress:
    """How far the delivery of one outbox row got: ``sent`` provider messages were accepted before (by an
    earlier process), ``mark(n)`` records the n-th as accepted. Set by the Dispatcher around a delivery."""

    sent: int
    mark: Callable[[int], Awaitable[None]]


delivery_progress: ContextVar[DeliveryProgress | None] = ContextVar("atende_delivery_progress", default=None)


async def send_parts(parts: Sequence[T], send: Callable[[T], Awaitable[Any]]) -> None:
    """Send a reply's provider messages in order, skipping those an earlier attempt already delivered and
    recording each one accepted: a crash mid-reply resends at most the one message in flight. Every
    connector that sends a reply as several provider messages sends them through here."""
    progress = delivery_progress.get()
    start = progress.sent if progress is not None else 0
    for i, part in enumerate(parts):
        if i < start:
            continue
        await send(part)
        if progress is not None:
            await progress.mark(i + 1)


class Lease(Protocol):
    """A named lease held by one process of the cluster at a time (atende.dispatch.lease implements it on
    Redis): what a connector uses for work that must run once cluster-wide, such as polling a mailbox."""

    async def acquire(self, name: str, ttl: float) -> bool: ...

    async def renew(self, name: str, ttl: float) -> bool: ...

    async def release(self, name: str) -> None: ...


class KeyValueState(Protocol):
    """Channel-private state (WhatsApp's last inbound time, mail thread headers), kept in the product's
    conversation database instead of a connector's own file. Values are JSON."""

    async def get(self, namespace: str, key: str) -> Any: ...

    async def set(self, namespace: str, key: str, value: Any) -> None: ...


class MemoryState:
    """A KeyValueState in a dict, for connectors mounted without the product (tests, tools)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], Any] = {}

    async def get(self, namespace: str, key: str) -> Any:
        return self._data.get((namespace, key))

    async def set(self, namespace: str, key: str, value: Any) -> None:
        self._data[(namespace, key)] = value


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

    inbox: Inbox
    data_dir: Path  # attachments go under data_dir / "attachments" / <channel>
    public_url: str | None  # ATENDE_PUBLIC_URL, the base URL providers call (signature checks)
    max_attachment_bytes: int = 10 * 1024 * 1024
    state: KeyValueState = field(default_factory=MemoryState)
    max_attachments: int = 20  # ATENDE_MAX_ATTACHMENTS: files kept per message; the rest are left out
    #: The per-IP limit (ATENDE_RATE_LIMIT_IP) for channels whose clients connect directly (the SMTP
    #: listener): True while the IP is within it. None: no limit.
    client_limit: Callable[[str], bool] | None = None
    web_store: WebChatStore | None = None  # sessions and chat log of the web chat (connectors.web)
    #: Deliver on another channel: ``(channel, conversation_key, replies)``; raises ChannelError when that
    #: channel is not configured (the web chat mails its one-time codes through it).
    deliver: Callable[[str, str, Sequence[Reply]], Awaitable[None]] | None = None
    #: Scaled mode: the cluster-wide lease (None: one process is the whole cluster).
    lease: Lease | None = None
    #: The active major incidents, for the web chat's banner: ``[{"reference", "service", "since"}]``
    #: (nothing else: the page is public). None: no banner.
    major_incidents: Callable[[], Awaitable[list[dict[str, Any]]]] | None = None
