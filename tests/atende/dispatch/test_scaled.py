"""Fault tests of the scaled mode on the real servers (issue 9, section 4): ingress in this process,
``python -m atende worker`` subprocesses, Redis (appendonly) and PostgreSQL from Debian, and a fake Telegram
Bot API counting what reached each chat. Every test runs a load of concurrent conversations through to their
tickets and asserts 0 lost messages, 0 duplicated tickets, 0 duplicate (and 0 missing) replies, and order
per conversation.

One cluster serves the whole module (starting worker processes is the slow part on a loaded 2-core
machine); each test drives its own conversations and judges only those. The order matters: the SIGKILL
test leaves one worker, the sweeper test runs last."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
import pytest_asyncio

from tests.atende.dispatch.scaled_cluster import SECRET, Cluster, CountingTelegram
from tests.services import PostgresServer, RedisServer, make_temp_dir, start_redis

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.asyncio(loop_scope="module")]

CONVERSATIONS = 20


@pytest.fixture(scope="module")
def aof_redis() -> Iterator[RedisServer]:
    server = start_redis(appendonly=True)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(postgres_server: PostgresServer, aof_redis: RedisServer) -> AsyncIterator[Cluster]:
    root = make_temp_dir("atende-scaled-")
    async with CountingTelegram() as fake:
        c = Cluster(root, postgres_server.create_database("scaled"), aof_redis.url, fake)
        await c.start_ingress()
        c.start_worker()
        c.start_worker()
        try:
            await c.wait_owned(by=2)
            yield c
        finally:
            await c.close()
            if not os.environ.get("ATENDE_KEEP_LOGS"):
                shutil.rmtree(root, ignore_errors=True)


async def load(cluster: Cluster, chats: range) -> None:
    await asyncio.gather(*(cluster.conversation(chat) for chat in chats))


async def under_load(cluster: Cluster, chats: range, fault: Callable[[], Awaitable[object]],
                     after: int = 15) -> object:
    """Run the load and, once ``after`` replies reached the users, the fault; assert that the fault hit
    while conversations were still going (not after the load)."""
    finished: list[int] = []

    async def one(chat: int) -> None:
        await cluster.conversation(chat)
        finished.append(chat)

    async def inject() -> object:
        while sum(len(cluster.fake.delivered.get(c, ())) for c in chats) < after:
            await asyncio.sleep(0.02)
        result = await fault()
        assert len(finished) < len(chats), "the fault came after the load"
        return result

    result, *_ = await asyncio.gather(inject(), *(one(c) for c in chats))
    return result


def assert_clean(cluster: Cluster, chats: range) -> None:
    report = cluster.report(chats)
    print(report)
    assert report.conversations == len(chats)
    assert report.clean(), (report, cluster.duplicates_by_chat(chats))


async def test_two_workers_keep_each_conversation_in_order(cluster: Cluster) -> None:
    chats = range(1000, 1000 + CONVERSATIONS)
    assert len(set((await cluster.owners()).values())) == 2  # both workers own shards
    await load(cluster, chats)
    assert_clean(cluster, chats)


async def test_a_slow_provider_with_429_loses_and_repeats_nothing(cluster: Cluster) -> None:
    chats = range(2000, 2000 + CONVERSATIONS)
    fake = cluster.fake
    fake.delay, fake.delay_every = 0.5, 5  # every 5th send answers after 0.5 s

    async def more_429() -> None:
        # Flood control as Telegram does it: bursts of 429 with Retry-After, which the connector's own
        # retries (4 attempts, Retry-After honoured) absorb; longer outages are deferred by the worker
        # (test_a_provider_outage_longer_than_the_connector_retries_is_deferred).
        for _ in range(4):
            fake.fail("sendMessage", 429, times=3, retry_after=1)
            await asyncio.sleep(1.2)

    calls_before = sum(1 for name, _ in fake.calls if name == "sendMessage")
    try:
        await under_load(cluster, chats, more_429, after=5)
    finally:
        fake.delay_every = 0
        fake._failures.clear()
    assert_clean(cluster, chats)
    calls = sum(1 for name, _ in fake.calls if name == "sendMessage") - calls_before
    assert calls >= sum(len(fake.delivered[c]) for c in chats) + 12  # the 429s were really served


async def test_a_provider_outage_longer_than_the_connector_retries_is_deferred(cluster: Cluster) -> None:
    """5 failed sends in a row outlast the connector's 4 attempts: the worker puts the reply back to
    pending and tries again after a backoff, instead of marking it failed; it arrives once."""
    cluster.fake.fail("sendMessage", 429, times=5, retry_after=1)
    try:
        await cluster.post(cluster.text_update(2500, "Outlook keeps asking for my password"))
        await cluster.settle("telegram:2500")
    finally:
        cluster.fake._failures.clear()
    report = cluster.report(range(2500, 2501))
    assert report.clean() or report.without_ticket == 1, report  # one message: no ticket yet
    assert report.lost == 0 and report.missing_replies == 0 and report.duplicate_replies == 0, report
    assert len(cluster.fake.delivered[2500]) >= 1


async def test_postgres_connections_dropped_and_restarted_lose_nothing(
        cluster: Cluster, postgres_server: PostgresServer) -> None:
    import psycopg

    chats = range(3000, 3000 + CONVERSATIONS)
    dbname = cluster.database_url.rsplit("/", 1)[1]

    def drop_connections() -> None:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{postgres_server.port}/postgres",
                             autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,))

    def restart() -> None:
        # "fast": every connection is cut and the server goes down and up again. Not "immediate": the test
        # server runs with fsync and synchronous_commit off (tests/services.py), so a crash there would
        # forget commits it had acknowledged - which a production server does not.
        postgres_server._run([str(postgres_server.bindir / "pg_ctl"), "-D", str(postgres_server.data),
                              "-l", str(postgres_server.root / "log"), "-m", "fast", "-w", "-t", "30",
                              "restart"])

    async def faults() -> None:
        for _ in range(3):
            await asyncio.to_thread(drop_connections)
            await asyncio.sleep(0.3)
        await asyncio.to_thread(restart)

    await under_load(cluster, chats, faults)
    assert_clean(cluster, chats)


async def test_a_redis_restart_loses_nothing(cluster: Cluster, aof_redis: RedisServer) -> None:
    chats = range(4000, 4000 + CONVERSATIONS)
    errors_before = cluster.webhook_errors
    probe = cluster.text_update(4999, "My VPN drops every few minutes since this morning")
    probe_answers: list[int] = []

    async def restart() -> None:
        await asyncio.to_thread(aof_redis.stop)  # down for a second: webhooks meet it, not only workers
        try:
            # Whatever the load happens to send meanwhile, one delivery surely meets Redis down: it must be
            # refused (the provider redelivers it), never acknowledged and dropped.
            assert cluster.http is not None
            try:
                r = await cluster.http.post("/webhooks/telegram", json=probe,
                                            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                probe_answers.append(r.status_code)
            except httpx.HTTPError:
                probe_answers.append(0)
            await asyncio.sleep(1.0)
        finally:
            await asyncio.to_thread(aof_redis.start)
        await cluster.post(probe)  # redelivered, as Telegram does, until it is taken

    await under_load(cluster, chats, restart)
    assert_clean(cluster, chats)
    refused = cluster.webhook_errors - errors_before
    print(f"webhook deliveries refused while Redis was down (redelivered like Telegram does): {refused}, "
          f"probe answered {probe_answers}")
    assert probe_answers and probe_answers[0] != 200
    await cluster.settle("telegram:4999")
    assert cluster.fake.delivered.get(4999), "the refused, then redelivered message was answered"


async def test_a_worker_killed_mid_load_loses_nothing(cluster: Cluster) -> None:
    chats = range(5000, 5000 + CONVERSATIONS)
    await cluster.wait_owned(by=2)
    victim = cluster.workers[0]
    dead = {o for o in (await cluster.owners()).values() if o and o.split(":")[1] == str(victim.pid)}
    assert dead

    in_flight: dict[str, int] = {}

    async def kill() -> float:
        cluster.kill(victim)
        in_flight.update(await asyncio.to_thread(cluster.sending))
        return await cluster.wait_owned(exclude=dead, timeout=30)

    takeover = await under_load(cluster, chats, kill)
    assert isinstance(takeover, float)
    print(f"takeover after SIGKILL: {takeover:.2f}s (lease {cluster.lease}s)")
    assert takeover < 3 * cluster.lease
    report = cluster.report(chats)
    dups = cluster.duplicates_by_chat(chats)
    print(report, f"in flight at the kill: {in_flight}, repeated: {dups}")
    assert report.conversations == len(chats)
    assert not (report.lost or report.duplicated_tickets or report.missing_replies or report.out_of_order
                or report.without_ticket), report
    # The one repetition a SIGKILL can cause: a reply the provider accepted from the victim, whose outbox
    # row was not marked sent yet (Telegram takes no idempotency key). Only such rows, each at most once.
    for chat, extra in dups.items():
        assert extra <= in_flight.get(f"telegram:{chat}", 0), (chat, extra, in_flight)


async def test_the_sweeper_queues_again_what_redis_lost(cluster: Cluster) -> None:
    """A recorded message whose stream pointer Redis lost (a host that died before its fsync), then a
    Redis emptied under running workers: the SQL inbox row is the durable record, nothing is lost."""
    lost = cluster.text_update(6000, "My printer is jammed on the 3rd floor")
    from connectors.telegram.parse import parse_update

    message = parse_update(lost, None)
    assert message is not None
    assert await cluster.runtime.conv_store.record_inbound(message)  # recorded, never queued
    started = time.monotonic()
    await cluster.settle("telegram:6000")
    assert time.monotonic() - started < cluster.sweep_after + 15
    assert cluster.fake.delivered.get(6000)

    await cluster.runtime.redis.flushall()  # streams, groups, leases, members: all gone
    await cluster.post(cluster.text_update(6001, "The shared drive is not mapped after login"))
    await cluster.settle("telegram:6001")
    assert cluster.fake.delivered.get(6001)
    report = cluster.report(range(6000, 6002))
    assert report.lost == 0 and report.duplicate_replies == 0 and report.missing_replies == 0, report
