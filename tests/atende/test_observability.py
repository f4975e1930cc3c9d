"""The metrics object on its own: the recording calls, and the scaled mode's backlog probe on a real Redis."""

from __future__ import annotations

import uuid

import pytest

from atende.observability import Backlog, Metrics, redis_stream_backlog
from tests.atende.test_ops import value
from tests.services import RedisServer


async def test_processing_is_timed_even_when_it_fails() -> None:
    m = Metrics()
    with m.processing("slack"):
        pass
    with pytest.raises(RuntimeError), m.processing("slack"):
        raise RuntimeError("engine bug")
    assert value(m.exposition().decode(), "atende_processing_seconds_count", channel="slack") == 2


async def test_shards_that_vanish_are_dropped_and_unknown_lag_is_left_out() -> None:
    m = Metrics()
    m.set_backlog({"0": Backlog(lag=3, pending=1), "1": Backlog(lag=0, pending=0)})
    m.set_backlog({"0": Backlog(lag=None, pending=2)})
    text = m.exposition().decode()
    assert value(text, "atende_stream_pending", shard="0") == 2
    assert value(text, "atende_stream_pending", shard="1") is None
    assert value(text, "atende_stream_lag", shard="0") is None


async def test_a_failing_probe_leaves_the_gauges_out() -> None:
    m = Metrics()
    m.set_backlog({"0": Backlog(lag=5, pending=5)})

    async def broken() -> dict[str, Backlog]:
        raise ConnectionError("redis is down")

    m.backlog_probe = broken
    await m.refresh()
    assert value(m.exposition().decode(), "atende_stream_lag", shard="0") is None  # absent, not stale


async def test_redis_stream_backlog_reads_lag_and_pending_per_shard(redis_server: RedisServer) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_server.url)
    ns = f"test:{uuid.uuid4().hex}"
    streams = {"0": f"{ns}:0", "1": f"{ns}:1", "2": f"{ns}:2"}
    try:
        await client.xgroup_create(streams["0"], "workers", id="0", mkstream=True)
        for i in range(5):
            await client.xadd(streams["0"], {"n": i})
        read = await client.xreadgroup("workers", "w1", {streams["0"]: ">"}, count=2)
        first_id = read[0][1][0][0]
        await client.xack(streams["0"], "workers", first_id)
        for i in range(4):
            await client.xadd(streams["1"], {"n": i})  # no group yet: all waiting
        # shard 2: no stream at all

        m = Metrics()
        m.backlog_probe = redis_stream_backlog(client, streams, "workers")
        await m.refresh()
        text = m.exposition().decode()
        assert value(text, "atende_stream_lag", shard="0") == 3  # 5 added, 2 handed out
        assert value(text, "atende_stream_pending", shard="0") == 1  # 2 handed out, 1 acknowledged
        assert value(text, "atende_stream_lag", shard="1") == 4
        assert value(text, "atende_stream_pending", shard="1") == 0
        assert value(text, "atende_stream_lag", shard="2") == 0
    finally:
        await client.delete(*streams.values())
        await client.aclose()
