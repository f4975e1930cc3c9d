"""The scaled mode in one process (ingress runtime + a worker runtime on the same PostgreSQL and Redis, the
worker's ShardWorker in this event loop): the web chat answered inside the request through the Redis reply
key, the "we are on it" hand-over to push, agent events through the streams, and the settings guard."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from atende.app import create_app
from atende.dispatch.redis_inbox import RedisWaiters
from atende.dispatch.shards import shard_of, stream_key
from atende.dispatch.worker import ShardWorker, transient_errors
from atende.runtime import Runtime, build_runtime
from atende.settings import load_settings
from connectors.web.chat import WORKING_ON_IT
from tests.atende.conftest import Chat
from tests.services import PostgresServer, RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_shards_are_stable_and_spread() -> None:
    assert shard_of("telegram:42", 8) == 3  # the same in every process: not Python's salted hash
    counts = [0] * 8
    for i in range(800):
        counts[shard_of(f"web:{i:032x}", 8)] += 1
    assert min(counts) > 60


def test_the_scaled_mode_refuses_sqlite(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0")
    assert "ATENDE_DATABASE_URL" in (s.scaled_problem() or "")
    s = load_settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0",
                      database_url="postgresql+psycopg://u@h/db")
    assert s.scaled_problem() is None and s.resolved_state_url == "postgresql+psycopg://u@h/db"
    assert load_settings(data_dir=tmp_path).scaled_problem() is None


@pytest_asyncio.fixture
async def scaled(tmp_path: Path, postgres_server: PostgresServer,
                 redis_restartable: RedisServer) -> AsyncIterator[tuple[Runtime, Runtime, ShardWorker]]:
    settings = load_settings(data_dir=tmp_path, database_url=postgres_server.create_database("inbox"),
                             redis_url=redis_restartable.url, use_keyword_standins=True, api_token="t" * 32,
                             stream_shards=2, worker_lease_seconds=1.0)
    ingress = build_runtime(settings, env={})
    worker_rt = build_runtime(settings, env={})
    worker_rt.dispatcher.remote = RedisWaiters(worker_rt.redis)
    worker_rt.dispatcher.transient = transient_errors()
    worker_rt.dispatcher.claim_sends = True
    await worker_rt.start_worker(load_models=False)  # loads the language detector before taking shards
    worker = ShardWorker(worker_rt.redis, worker_rt.dispatcher, worker_rt.conv_store, shards=2, lease_ttl=1.0,
                         sweep_after=2.0)
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(100):
            if worker.owned == {0, 1}:
                break
            await asyncio.sleep(0.05)
        yield ingress, worker_rt, worker
    finally:
        await worker.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        for rt in (ingress, worker_rt):
            await rt.redis.aclose()
            rt.close()


async def client_for(runtime: Runtime) -> httpx.AsyncClient:
    app = create_app(runtime, manage_runtime=False, load_models=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingress")


async def test_web_chat_is_answered_in_the_request_through_the_worker(scaled: Any) -> None:
    ingress, worker_rt, _worker = scaled
    assert ingress.dispatcher.busy == 0
    async with await client_for(ingress) as http:
        chat = Chat(http)
        reference = await chat.report("My laptop cannot connect to the VPN since this morning, error 809")
        assert reference and reference.startswith("INC-")
        again = await chat.say("hello", message_id="m-1")
        resend = await chat.say("hello", message_id="m-1")
        assert resend == again  # a resend gets the stored replies, processed once
    assert ingress.dispatcher.busy == 0  # ingress never ran the engine itself
    (ticket,) = worker_rt.tickets.list_tickets()
    assert ticket.reference == reference


async def test_an_agent_reply_goes_through_the_streams_and_reports_its_delivery(scaled: Any) -> None:
    ingress, worker_rt, _worker = scaled
    async with await client_for(ingress) as http:
        chat = Chat(http)
        reference = await chat.report("Excel crashes when I open the budget file")
        assert reference
        session = chat.session
        ticket = ingress.tickets.get(reference)
        # The agent's action enters at ingress (API) and is delivered by the worker, behind the user's turns.
        assert await ingress.notifier.agent_reply(ticket, "Please send me the file name.", "agent-1")
        got = await chat.pushed()
        assert any("Please send me the file name." in r["text"] for r in got["replies"])
    events = [row for row in await asyncio.to_thread(worker_rt.conv_store.inbox_rows, f"web:{session}")
              if row["kind"] == "event"]
    assert [e["status"] for e in events] == ["processed"]


async def test_a_reply_that_misses_its_request_follows_by_push(scaled: Any) -> None:
    ingress, _worker_rt, worker = scaled
    await worker.stop()  # nobody processes: the request times out
    await asyncio.sleep(1.5)
    async with await client_for(ingress) as http:
        web = next(m for m in ingress.mounted if m.name == "web").outbound
        web._chat.ask_timeout = 0.5  # type: ignore[union-attr]
        chat = Chat(http)
        replies = await chat.say("my printer is jammed")
        assert replies[0]["text"] == WORKING_ON_IT["en"]
        # A worker comes back: the waiting key is gone, so it pushes instead of answering the request.
        _ingress2, worker_rt, _ = scaled
        fresh = ShardWorker(worker_rt.redis, worker_rt.dispatcher, worker_rt.conv_store, shards=2,
                            lease_ttl=1.0, sweep_after=2.0)
        task = asyncio.create_task(fresh.run())
        try:
            pushed: list[Any] = []
            for _ in range(200):
                pushed = (await chat.pushed())["replies"]
                if pushed:
                    break
                await asyncio.sleep(0.05)
            assert pushed and pushed[0]["text"] != WORKING_ON_IT["en"]
            # Pushed once: the reply did not also go to the (timed-out) request's key.
            await asyncio.sleep(0.5)
            assert len((await chat.pushed())["replies"]) == len(pushed)
        finally:
            await fresh.stop()
            await asyncio.wait_for(task, 10)


async def test_receive_queues_a_pointer_on_the_conversations_shard(scaled: Any) -> None:
    ingress, _worker_rt, worker = scaled
    await worker.stop()
    await asyncio.sleep(1.5)
    from dialog.messages import Identity, InboundMessage

    msg = InboundMessage(channel="telegram", conversation_key="telegram:9", text="VPN down",
                         sender=Identity(channel="telegram", native_id="9"), provider_message_id="1")
    assert await ingress.inbox.receive(msg)
    assert not await ingress.inbox.receive(msg)  # a redelivery: still waiting, so queued once more
    entries = await ingress.redis.xrange(stream_key(shard_of("telegram:9", 2)))
    assert [e[1] for e in entries] == [{"c": "telegram:9", "k": "telegram:9/1"}] * 2


def test_processes_starting_at_once_on_a_fresh_database_create_the_tables_once(
        postgres_server: PostgresServer) -> None:
    """`atende serve` and `atende worker` started together: without the schema lock, one of them died on
    a duplicate-key error from CREATE TABLE (seen in benchmarks/scale.py)."""
    from concurrent.futures import ThreadPoolExecutor

    from atende.adapters.stores import SqlConversationStore

    url = postgres_server.create_database("schema")
    with ThreadPoolExecutor(6) as pool:
        stores = list(pool.map(lambda _: SqlConversationStore(url, cache=False), range(6)))
    for store in stores:
        assert store.inbox_count() == 0
        store.close()


@pytest.mark.parametrize(("env", "message"), [
    ({}, "ATENDE_REDIS_URL"),
    ({"ATENDE_REDIS_URL": "redis://127.0.0.1:1/0"}, "needs a PostgreSQL ATENDE_DATABASE_URL"),
])
def test_atende_worker_refuses_without_the_scaled_mode(tmp_path: Path, env: dict[str, str],
                                                       message: str) -> None:
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATENDE_")}
    r = subprocess.run([sys.executable, "-m", "atende", "worker"], capture_output=True, text=True, timeout=60,
                       env={**clean, "ATENDE_DATA_DIR": str(tmp_path), **env})
    assert r.returncode == 2 and message in r.stderr
