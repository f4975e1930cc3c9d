"""Fixtures of the e-mail channel tests.

- ``email_relay``: the far side. A second aiosmtpd server standing in for the remote MTA our replies go to;
  it captures every mail and can be told to answer 4xx/5xx first.
- ``email_harness``: THE intake (one fixture): the real runtime (atende.runtime.build_runtime with keyword
  stand-ins), or with ATENDE_TEST_EMAIL_INTAKE=double (or without atende.runtime) a scripted double that
  behaves like a tiny engine. Tests only use the harness's neutral helpers (recorded rows, ticket lookup,
  delivery failures), so they run on either.
- ``email_service``: the connector as ``atende serve`` mounts it (env -> mount -> start), listener on a free
  port, outbound to ``email_relay``; stopped (and its answers drained) after the test.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from connectors.base import Answered, ChannelError, ConnectorContext, MemoryState
from connectors.email import EmailService, mount
from dialog.messages import InboundMessage, Option, Reply

DESK = "helpdesk@desk.example"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
_REF = re.compile(r"\b(?:INC|REQ|PRB|CHG)-\d{6}\b")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the far-side relay ----------------------------------------------------------------------------------
@dataclass
class CapturedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


class FakeRelay:
    """The remote MTA: captures mail; ``fail_with`` holds SMTP replies to give first (e.g. 451, 550)."""

    def __init__(self) -> None:
        self.mails: list[CapturedMail] = []
        self.fail_with: list[str] = []
        self.attempts = 0
        self.on_mail: Callable[[CapturedMail], Any] | None = None
        self.port = 0
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Condition()
        self._reactions: set[asyncio.Future[Any]] = set()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.fail_with:
            return self.fail_with.pop(0)
        raw = bytes(envelope.original_content or b"")
        mail = CapturedMail(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        self.mails.append(mail)
        async with self._arrived:
            self._arrived.notify_all()
        if self.on_mail is not None:
            result = self.on_mail(mail)
            if asyncio.iscoroutine(result):  # e.g. an auto-responder answering: after our 250
                task = asyncio.ensure_future(result)
                self._reactions.add(task)
                task.add_done_callback(self._reactions.discard)
        return "250 OK"

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[CapturedMail]:
        async def reached() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.mails) >= count)

        await asyncio.wait_for(reached(), timeout)
        return self.mails

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SMTP(self, loop=loop), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for task in list(self._reactions):
            task.cancel()
        await asyncio.gather(*self._reactions, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def email_relay() -> AsyncIterator[FakeRelay]:
    relay = FakeRelay()
    await relay.start()
    yield relay
    await relay.stop()


# --- the intake --------------------------------------------------------------------------------------------
class ScriptedIntake:
    """Stands in for atende.intake until (or where) the real one is not importable: records like it
    (idempotency key), and answers like a tiny engine: first a question with two options, then a ticket,
    then every message quoting the ticket's reference is added to it."""

    QUESTION = (Option("printer", "Printer"), Option("network", "Network"))

    def __init__(self) -> None:
        self.records: dict[str, InboundMessage] = {}
        self.processed: list[InboundMessage] = []
        self.tickets: dict[str, dict[str, Any]] = {}
        self._asked: dict[str, str] = {}
        self.outbound: Any = None  # the desk, once mounted: the Dispatcher's side of a turn
        self._tasks: set[asyncio.Task[None]] = set()

    async def receive(self, message: InboundMessage) -> bool:
        key = message.idempotency_key or f"anon:{len(self.records)}"
        if key in self.records:
            return False
        self.records[key] = message
        task = asyncio.get_running_loop().create_task(self._dispatch(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _dispatch(self, message: InboundMessage) -> None:
        replies = await self.process(message)
        if replies and self.outbound is not None:
            try:
                await self.outbound.reply(message, replies)
            except ChannelError as exc:
                await self.delivery_failed(message, message.channel, message.sender.native_id, exc)

    async def join(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def process(self, message: InboundMessage) -> list[Reply]:
        self.processed.append(message)
        if message.extras.get("no_reply"):
            return []
        conv = message.conversation_key
        for ref in _REF.findall(message.text):
            if ref in self.tickets and self.tickets[ref]["conversation_key"] == conv:
                self.tickets[ref]["messages"].append(message.text)
                return [Reply(f"Added to {ref}.", ticket=ref)]
        if conv not in self._asked:
            self._asked[conv] = message.text
            return [Reply("What is affected?", options=self.QUESTION, kind="question")]
        if message.option_id:
            ref = f"INC-{len(self.tickets) + 1:06d}"
            self.tickets[ref] = {"conversation_key": conv, "category": message.option_id,
                                 "description": self._asked.pop(conv), "messages": [],
                                 "attachments": list(message.attachments)}
            return [Reply(f"Ticket {ref} created.", ticket=ref, kind="ticket")]
        return [Reply("Please answer 1 or 2.", options=self.QUESTION, kind="question")]

    async def ask(self, message: InboundMessage, timeout: float) -> Answered | None:
        key = message.idempotency_key or f"anon:{len(self.records)}"
        if key in self.records:
            return Answered([], duplicate=True)
        self.records[key] = message
        return Answered(await self.process(message))

    async def delivery_failed(self, message: InboundMessage | None, channel: str, address: str,
                              error: ChannelError) -> None:
        return None


@dataclass
class EmailHarness:
    """The intake plus neutral views of what it stored, whichever intake it is."""

    intake: Any
    kind: str
    recorded: Callable[[str], list[dict[str, Any]]]  # conversation key -> [{"text", "extras", ...}]
    ticket_exists: Callable[[str, str], bool]  # (reference, conversation key) -> bool
    failures: list[tuple[str, str, ChannelError]] = field(default_factory=list)
    runtime: Any = None
    state: Any = field(default_factory=MemoryState)  # the key-value port, kept across connector restarts

    def __post_init__(self) -> None:
        if self.runtime is not None:  # the product's own: the conversation database
            from atende.runtime import SqlKeyValueState

            self.state = SqlKeyValueState(self.runtime.dispatcher.queue)


class _FailureRecorder:
    """Wraps an intake so tests see delivery_failed calls; everything else passes through."""

    def __init__(self, inner: Any, sink: list[tuple[str, str, ChannelError]]) -> None:
        self._inner = inner
        self._sink = sink

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def delivery_failed(self, message: InboundMessage | None, channel: str, address: str,
                              error: ChannelError) -> None:
        self._sink.append((channel, address, error))
        await self._inner.delivery_failed(message, channel, address, error)


def _real_runtime_wanted() -> bool:
    if os.environ.get("ATENDE_TEST_EMAIL_INTAKE") == "double":
        return False
    try:
        import atende.runtime  # noqa: F401
    except ImportError:
        return False
    return True


def _build_runtime(data_dir: Path) -> Any:
    """The real runtime with keyword stand-ins (no model loading), no connectors (we mount ours)."""
    from atende.runtime import build_runtime
    from atende.settings import Settings

    settings = Settings(data_dir=data_dir, use_keyword_standins=True, _env_file=None)  # type: ignore[call-arg]
    return build_runtime(settings, env={}, connectors=False)


@pytest.fixture
async def email_harness(tmp_path: Path) -> AsyncIterator[EmailHarness]:
    failures: list[tuple[str, str, ChannelError]] = []
    runtime = _build_runtime(tmp_path / "runtime") if _real_runtime_wanted() else None
    if runtime is None:
        double = ScriptedIntake()

        def recorded(key: str) -> list[dict[str, Any]]:
            return [{"text": m.text, "extras": dict(m.extras), "option_id": m.option_id,
                     "attachments": [asdict(a) for a in m.attachments]} for m in double.records.values()
                    if m.conversation_key == key]

        def exists(ref: str, key: str) -> bool:
            return ref in double.tickets and double.tickets[ref]["conversation_key"] == key

        yield EmailHarness(_FailureRecorder(double, failures), "double", recorded, exists, failures)
        return

    def rows(key: str) -> list[dict[str, Any]]:
        return [dict(r) for r in runtime.conv_store.inbox_rows(key)]

    def exists(ref: str, key: str) -> bool:
        ticket = runtime.tickets.get(ref)
        return ticket is not None and ticket.conversation_key == key

    sink = runtime.dispatcher.log_sink
    real_failed = sink.delivery_failed

    async def delivery_failed(conversation_key: str, channel: str, error: str) -> None:
        failures.append((channel, conversation_key.partition(":")[2], ChannelError(error)))
        await real_failed(conversation_key, channel, error)

    sink.delivery_failed = delivery_failed
    await runtime.dispatcher.start()
    try:
        yield EmailHarness(_FailureRecorder(runtime.inbox, failures), "runtime", rows, exists, failures,
                           runtime=runtime)
    finally:
        await runtime.dispatcher.stop()
        runtime.close()


# --- the connector ----------------------------------------------------------------------------------------
def email_env_for(relay_port: int, listen_port: int, **extra: str) -> dict[str, str]:
    env = {
        "ATENDE_MAIL_ADDRESS": DESK,
        "ATENDE_SMTP_LISTEN_HOST": "127.0.0.1",
        "ATENDE_SMTP_LISTEN_PORT": str(listen_port),
        "ATENDE_SMTP_OUT_HOST": "127.0.0.1",
        "ATENDE_SMTP_OUT_PORT": str(relay_port),
        "ATENDE_SMTP_OUT_STARTTLS": "false",
        # Test mail is unsigned: these tests are about the conversation, as behind an MTA that enforces
        # DMARC. test_sender_verification.py turns it off and checks DKIM/SPF.
        "ATENDE_MAIL_MTA_ENFORCES_DMARC": "true",
    }
    env.update(extra)
    return env


@dataclass
class RunningEmail:
    service: EmailService
    harness: EmailHarness
    relay: FakeRelay
    data_dir: Path

    @property
    def desk(self) -> Any:
        return self.service.desk

    @property
    def port(self) -> int:
        assert self.service.listener is not None
        return self.service.listener.port

    async def settle(self) -> None:
        """Wait for the answers in flight (the Dispatcher's work for every conversation)."""
        if self.harness.runtime is not None:
            await self.harness.runtime.dispatcher.join(15)
        else:
            await getattr(self.harness.intake, "_inner", self.harness.intake).join()


async def start_email(harness: EmailHarness, relay: FakeRelay, data_dir: Path, *,
                      env: Mapping[str, str] | None = None, max_attachment_bytes: int = 10 * 1024 * 1024,
                      max_attachments: int = 20, lease: Any = None, **extra: str) -> RunningEmail:
    ctx = ConnectorContext(inbox=harness.intake, data_dir=data_dir, public_url=None, state=harness.state,
                           max_attachment_bytes=max_attachment_bytes, max_attachments=max_attachments,
                           lease=lease)
    mounted = mount(ctx, dict(env) if env is not None else email_env_for(relay.port, free_port(), **extra))
    assert mounted is not None and mounted.start is not None
    service: EmailService = mounted.start.__self__  # type: ignore[attr-defined]
    service.desk.retry_base_delay = 0.01  # keep retry tests fast
    if harness.runtime is not None:  # the real Dispatcher delivers the answers through our Outbound
        harness.runtime.dispatcher.outbounds["email"] = service.desk
    else:
        inner = getattr(harness.intake, "_inner", harness.intake)
        inner.outbound = service.desk
    if service.poller is not None:
        service.poller.idle_check_seconds = 0.2  # stop() waits for one IDLE check at most
    await mounted.start()
    return RunningEmail(service, harness, relay, data_dir)


@pytest.fixture
async def email_service(email_harness: EmailHarness, email_relay: FakeRelay,
                        tmp_path: Path) -> AsyncIterator[RunningEmail]:
    running = await start_email(email_harness, email_relay, tmp_path / "data")
    yield running
    await running.service.stop()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def numbered_options(body: str) -> Sequence[str]:
    return re.findall(r"^\s*(\d+)\.\s+\S", body, re.MULTILINE)
