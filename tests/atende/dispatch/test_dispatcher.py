"""The Inbox and the Dispatcher on the real runtime (engine with keyword stand-ins, SQLite stores)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from atende.runtime import Runtime, build_runtime
from dialog.messages import Identity, InboundMessage, Reply
from dialog.ports import TicketEvent


class RecordingOutbound:
    """A channel that records what the Dispatcher delivers (the far side of a push channel)."""

    channel = "test"

    def __init__(self) -> None:
        self.replies: list[tuple[str, list[str]]] = []
        self.pushes: list[tuple[str, list[str]]] = []

    async def reply(self, message: InboundMessage, replies: Sequence[Reply]) -> None:
        self.replies.append((message.conversation_key, [r.text for r in replies]))

    async def send(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None = None) -> None:
        self.pushes.append((conversation_key, [r.text for r in replies]))


@pytest.fixture()
async def rt(settings_factory: Any) -> AsyncIterator[Runtime]:
    runtime = build_runtime(settings_factory(), env={})
    runtime.dispatcher.outbounds["test"] = RecordingOutbound()
    yield runtime
    await runtime.dispatcher.stop()
    runtime.close()


def msg(text: str, mid: str | None, who: str = "u1") -> InboundMessage:
    return InboundMessage(channel="test", conversation_key=f"test:{who}", sender=Identity("test", who),
                          text=text, provider_message_id=mid)


def outbound(rt: Runtime) -> RecordingOutbound:
    out = rt.dispatcher.outbounds["test"]
    assert isinstance(out, RecordingOutbound)
    return out


async def test_messages_recorded_before_start_are_processed_at_start(rt: Runtime) -> None:
    # A crashed process left them recorded and unprocessed.
    for i, text in enumerate(["My VPN fails with error 809 since this morning", "only me"]):
        assert await rt.conv_store.record_inbound(msg(text, f"m{i}"))
    await rt.dispatcher.start()
    await rt.dispatcher.join()
    assert [k for k, _ in outbound(rt).replies] == ["test:u1", "test:u1"]
    assert all(r["status"] == "processed" for r in rt.conv_store.inbox_rows("test:u1"))


async def test_a_resend_of_a_recorded_but_unprocessed_message_gets_its_real_answer(rt: Runtime) -> None:
    first = msg("My printer on floor 2 is jammed", "client-1")
    assert await rt.conv_store.record_inbound(first)  # recorded, then the process died
    await rt.dispatcher.start()
    answered = await rt.inbox.ask(first, 10)
    assert answered is not None and answered.replies, "a resend must not get an empty answer"
    again = await rt.inbox.ask(first, 10)
    assert again is not None and again.duplicate
    assert [r.text for r in again.replies] == [r.text for r in answered.replies]
    assert len(rt.conv_store.inbox_rows("test:u1")) == 1


async def test_replies_saved_but_not_sent_are_sent_at_start_without_recomputing(rt: Runtime) -> None:
    m = msg("hola", "m1")
    assert await rt.conv_store.record_inbound(m)
    assert m.idempotency_key is not None
    # State, replies and outbox were committed; the process died before the send.
    await rt.conv_store.save("test:u1", {"stage": "start"}, m.idempotency_key,
                             [{"text": "computed before the crash", "options": [], "ticket": None}])
    await rt.dispatcher.start()
    await rt.dispatcher.join()
    assert outbound(rt).replies == [("test:u1", ["computed before the crash"])]
    await rt.dispatcher.start()  # a second start sends nothing twice
    await rt.dispatcher.join()
    assert len(outbound(rt).replies) == 1


async def test_events_queue_behind_the_users_messages(rt: Runtime) -> None:
    await rt.dispatcher.start()
    for i, text in enumerate(["My laptop screen flickers all the time", "only me", "since yesterday"]):
        await rt.inbox.receive(msg(text, f"m{i}"))
    await rt.inbox.post_event("test:u1", TicketEvent("agent_reply", "INC-000001", text="On my way"),
                              channel="test")
    await rt.dispatcher.join()
    order = [("reply", k) for k, _ in outbound(rt).replies] + [("push", k) for k, _ in outbound(rt).pushes]
    assert len(outbound(rt).replies) == 3 and len(outbound(rt).pushes) == 1
    rows = rt.conv_store.inbox_rows("test:u1")
    assert [r["kind"] for r in rows] == ["message", "message", "message", "event"]
    assert all(r["status"] == "processed" for r in rows)
    assert order[-1][0] == "push"


async def test_a_message_that_keeps_failing_is_set_aside_and_the_conversation_goes_on(rt: Runtime) -> None:
    await rt.dispatcher.start()
    real = rt.dispatcher.engine
    rt.dispatcher.retry_delay = 0.01

    class Breaks:
        async def handle(self, message: InboundMessage) -> list[Reply]:
            if message.text == "poison":
                raise RuntimeError("engine bug")
            return await real.handle(message)

        async def notify(self, *a: Any, **k: Any) -> list[Reply]:
            return await real.notify(*a, **k)

    rt.dispatcher.engine = Breaks()
    await rt.inbox.receive(msg("poison", "p1"))
    await rt.inbox.receive(msg("My mouse does not work", "p2"))
    await rt.dispatcher.join()
    statuses = [r["status"] for r in rt.conv_store.inbox_rows("test:u1")]
    assert statuses == ["failed", "processed"]


async def test_two_conversations_run_concurrently_each_in_order(rt: Runtime) -> None:
    await rt.dispatcher.start()
    texts = ["My VPN fails since this morning", "only me", "since today", "yes", "no"]
    for i, text in enumerate(texts):
        for who in ("a", "b"):
            await rt.inbox.receive(msg(text, f"{who}{i}", who))
    await asyncio.wait_for(rt.dispatcher.join(), 30)
    for who in ("a", "b"):
        rows = rt.conv_store.inbox_rows(f"test:{who}")
        assert [r["text"] for r in rows] == texts and all(r["status"] == "processed" for r in rows)


async def test_a_channel_handler_replaces_the_engine_and_is_retried_on_errors(rt: Runtime) -> None:
    """Dispatcher.handlers (the alert channel's hook): the handler runs instead of the engine, nothing is
    replied, the row ends processed; a handler that fails is retried like the engine, then set aside."""
    seen: list[str | None] = []
    failures = {"left": 1}

    async def handler(message: InboundMessage) -> None:
        from atende.dispatch.context import current_message_key

        seen.append(current_message_key.get())
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database blip")

    rt.dispatcher.handlers["test"] = handler
    rt.dispatcher.retry_delay = 0.01
    await rt.dispatcher.start()
    assert await rt.inbox.receive(msg("an alert", "a1"))
    await rt.dispatcher.join()
    assert seen == ["test:u1/a1", "test:u1/a1"]  # the message's key is in context, both times
    assert [r["status"] for r in rt.conv_store.inbox_rows("test:u1")] == ["processed"]
    assert outbound(rt).replies == [] and rt.tickets.list_tickets() == []

    async def broken(message: InboundMessage) -> None:
        raise RuntimeError("always")

    rt.dispatcher.handlers["test"] = broken
    assert await rt.inbox.receive(msg("another", "a2", who="u2"))
    await rt.dispatcher.join()
    assert [r["status"] for r in rt.conv_store.inbox_rows("test:u2")] == ["failed"]
