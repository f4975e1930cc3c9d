"""The desk's live feed (atende/live.py) on the real ticket log: ids released in order, held back past a
hole for the grace period and then skipped, clients resuming from any cursor. On PostgreSQL the hole is
real: a transaction holding a lower id commits after a higher one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from atende.live import FeedEvent, LiveFeed
from tests.ticket_core.conftest import new_ticket
from ticket_core import TicketStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[TicketStore]:
    s = TicketStore.open(f"sqlite:///{tmp_path}/t.db")
    yield s
    s.close()


def raw_event(store: TicketStore, event_id: int, ticket_id: int, note: str) -> None:
    """An event row with a chosen id, as a slower transaction would leave it when it commits."""
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO ticket_events (id, ticket_id, kind, payload, actor, at) VALUES "
                          "(:id, :t, 'message_in', :p, 'requester', CURRENT_TIMESTAMP)"),
                     {"id": event_id, "t": ticket_id, "p": json.dumps({"text": note})})


def ids(events: list[FeedEvent]) -> list[int]:
    return [e.id for e in events]


async def test_an_event_past_a_hole_waits_for_it_then_both_come_in_order(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket())
    clock = Clock()
    feed = LiveFeed(store, gap_grace_seconds=2.0, clock=clock)
    feed.frontier = store.last_event_id()
    first = feed.frontier + 1
    raw_event(store, first + 1, ticket.id, "later id, committed first")
    assert await feed.read_once() == []  # held: first is missing
    clock.now += 1.0
    raw_event(store, first, ticket.id, "earlier id, committed second")
    released = await feed.read_once()
    assert ids(released) == [first, first + 1]
    assert released[0].payload["text"] == "earlier id, committed second"
    assert feed.skipped == []


async def test_a_hole_that_never_fills_is_skipped_after_the_grace(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket())
    clock = Clock()
    feed = LiveFeed(store, gap_grace_seconds=2.0, clock=clock)
    feed.frontier = store.last_event_id()
    start = feed.frontier
    raw_event(store, start + 3, ticket.id, "after a rolled-back pair")
    assert await feed.read_once() == []
    clock.now += 1.9
    assert await feed.read_once() == []
    clock.now += 0.2
    assert ids(await feed.read_once()) == [start + 3]
    assert feed.skipped == [start + 1, start + 2]
    # A late row in the skipped hole is not released out of order behind the cursor.
    raw_event(store, start + 1, ticket.id, "too late")
    store.record_event(ticket.reference, "notification_sent", {"channel": "web"}, "bot")
    assert ids(await feed.read_once()) == [start + 4]


async def test_clients_resume_from_any_cursor_in_order(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket())
    opening = [e.id for e in store.events(ticket.reference)]
    feed = LiveFeed(store, buffer_size=3)
    await feed.start()
    try:
        for n in range(5):
            store.record_event(ticket.reference, "notification_sent", {"channel": "web", "n": n}, "bot")
        for _ in range(100):  # the feed's own reader (polling: no hook is set here)
            if feed.frontier == store.last_event_id():
                break
            await asyncio.sleep(0.05)
        seen: list[int] = []
        stream = feed.follow(after=0, idle=0.2)
        async for batch in stream:  # the oldest come from the database, the newest from the buffer
            seen.extend(ids(batch))
            if seen and seen[-1] == feed.frontier:
                break
        await stream.aclose()
        assert seen == sorted(seen) and seen[0] == opening[0] and len(seen) == len(set(seen))
        assert seen[-5:] == list(range(feed.frontier - 4, feed.frontier + 1))
    finally:
        await feed.stop()


async def test_a_write_in_this_process_wakes_the_stream_at_once(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket())
    feed = LiveFeed(store, poll_seconds=30.0)  # no polling: only the in-process signal can wake it
    store.after_write = feed.poke
    await feed.start()
    try:
        stream = feed.sse(None, idle=10.0)
        assert await anext(stream) == "retry: 2000\n\n"
        pending = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.05)
        await asyncio.to_thread(store.add_message, ticket.reference, "in", "hello\nthere", "web", "requester")
        chunk = await asyncio.wait_for(pending, 2.0)
        head, data, blank, end = chunk.split("\n")  # JSON keeps the newline escaped: one data line
        assert head.startswith("id: ") and data.startswith("data: {") and blank == end == ""
        event = json.loads(data[6:])
        assert int(head[4:]) == event["id"]
        assert event["kind"] == "message_in" and event["topic"] == "message"
        assert event["reference"] == ticket.reference and event["payload"]["text"] == "hello\nthere"
        await stream.aclose()
    finally:
        await feed.stop()


@pytest.mark.postgres
async def test_postgres_commit_order_is_not_id_order(postgres_database_url: str) -> None:
    store = TicketStore.open(postgres_database_url)
    try:
        ticket = store.create_ticket(new_ticket())
        other = store.create_ticket(new_ticket(address="session-2"))  # writes to one ticket serialize
        feed = LiveFeed(store, gap_grace_seconds=30.0)
        feed.frontier = store.last_event_id()
        with psycopg.connect(postgres_database_url.replace("+psycopg", "")) as slow:
            row = slow.execute(
                "INSERT INTO ticket_events (ticket_id, kind, payload, actor, at) VALUES "
                "(%s, 'message_in', '{\"text\": \"slow\"}', 'requester', now()) RETURNING id",
                (ticket.id,)).fetchone()
            assert row is not None
            slow_id = int(row[0])
            fast = store.record_event(other.reference, "notification_sent", {"channel": "web"}, "bot")
            assert fast.id == slow_id + 1
            assert await feed.read_once() == []  # id slow_id+1 is visible, slow_id is not yet
            slow.commit()
        assert ids(await feed.read_once()) == [slow_id, fast.id]
    finally:
        store.close()


async def test_an_idle_stream_sends_keep_alives_and_clients_are_bounded(store: TicketStore) -> None:
    feed = LiveFeed(store, poll_seconds=0.05, max_clients=1)
    try:
        stream = feed.sse(None, idle=0.1)
        assert await anext(stream) == "retry: 2000\n\n"
        assert await asyncio.wait_for(anext(stream), 2.0) == ": keep-alive\n\n"
        assert feed.clients == 1
        second = feed.sse(None, idle=0.1)
        assert await anext(second) == "retry: 2000\n\n"
        assert await anext(second) == ": too many open streams\n\n"  # and it ends
        with pytest.raises(StopAsyncIteration):
            await anext(second)
        await stream.aclose()
        assert feed.clients == 0
    finally:
        await feed.stop()


async def test_a_console_renders_its_own_data_and_leaves_events_out(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket())
    feed = LiveFeed(store, poll_seconds=0.05)
    try:
        start = store.last_event_id()
        store.record_event(ticket.reference, "notification_sent", {"channel": "web"}, "bot")
        store.add_message(ticket.reference, "in", "<b>hi</b>", "web", "requester")
        def html(e: FeedEvent) -> str | None:
            return None if e.kind == "notification_sent" else f"<p>{e.kind}</p>"

        stream = feed.sse(start, render=html)
        assert await anext(stream) == "retry: 2000\n\n"
        assert await asyncio.wait_for(anext(stream), 2.0) == f"id: {start + 2}\ndata: <p>message_in</p>\n\n"
        await stream.aclose()
        # A cursor from a database this one replaced (ids it never had) starts from now, not never.
        ahead = feed.follow(start + 10_000, idle=5.0)
        pending = asyncio.ensure_future(anext(ahead))
        await asyncio.sleep(0.2)  # the stream is waiting
        store.record_event(ticket.reference, "notification_sent", {"channel": "web"}, "bot")
        batch = await asyncio.wait_for(pending, 2.0)
        assert [e.id for e in batch] == [start + 3]
        await ahead.aclose()
    finally:
        await feed.stop()
