"""One contract, two back ends: the same suite runs on LocalLease and on RedisLease against a real
redis-server (started by the fixtures in tests/services.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from atende.dispatch.lease import Lease, LeaseTable, LocalLease, RedisLease
from tests.services import RedisServer

Factory = Callable[[str], Lease]


@pytest.fixture(params=["local", "redis"])
async def holders(request: pytest.FixtureRequest) -> AsyncIterator[Factory]:
    """A factory of lease holders (by owner name) that share one back end, as processes of one cluster."""
    if request.param == "local":
        table = LeaseTable()
        yield lambda owner: LocalLease(table, owner=owner)
        return
    from redis.asyncio import Redis

    server: RedisServer = request.getfixturevalue("redis_server")
    prefix = f"test:{uuid.uuid4().hex}:"  # the session's Redis is shared: keep to our own keys
    clients: list[Any] = []

    def make(owner: str) -> Lease:
        client = Redis.from_url(server.url)
        clients.append(client)
        return RedisLease(client, owner=owner, prefix=prefix)

    yield make
    for c in clients:
        await c.aclose()


async def test_one_holder_at_a_time(holders: Factory) -> None:
    a, b = holders("a"), holders("b")
    assert await a.acquire("auto-close", 10)
    assert not await b.acquire("auto-close", 10)
    assert await a.acquire("auto-close", 10)  # the holder asking again keeps it (ttl starts again)
    assert await b.acquire("drafts", 10)  # names are independent


async def test_only_the_holder_renews_or_releases(holders: Factory) -> None:
    a, b = holders("a"), holders("b")
    assert await a.acquire("job", 10)
    assert await a.renew("job", 10)
    assert not await b.renew("job", 10)
    await b.release("job")  # not b's: nothing happens
    assert not await b.acquire("job", 10)
    await a.release("job")
    assert await b.acquire("job", 10)
    assert not await a.renew("job", 10)  # a gave it up: renewing does not take it back


async def test_an_expired_lease_goes_to_the_next_and_the_old_holder_knows(holders: Factory) -> None:
    a, b = holders("a"), holders("b")
    assert await a.acquire("job", 0.2)
    await asyncio.sleep(0.35)  # a "died": it did not renew in time
    assert await b.acquire("job", 10)
    assert not await a.renew("job", 10)  # a wakes up: it must stop, the job is b's now
    await a.release("job")  # a late release does not free b's lease
    assert not await holders("c").acquire("job", 10)


async def test_renewing_keeps_it_past_the_first_ttl(holders: Factory) -> None:
    a, b = holders("a"), holders("b")
    assert await a.acquire("job", 0.3)
    for _ in range(4):
        await asyncio.sleep(0.1)
        assert await a.renew("job", 0.3)
    assert not await b.acquire("job", 10)  # 0.4 s after acquiring a 0.3 s lease: still a's


async def test_many_contenders_one_winner(holders: Factory) -> None:
    contenders = [holders(f"p{i}") for i in range(20)]
    won = await asyncio.gather(*(c.acquire("imap-poller", 5) for c in contenders))
    assert sum(won) == 1


async def test_a_positive_ttl_is_required(holders: Factory) -> None:
    with pytest.raises(ValueError):
        await holders("a").acquire("job", 0)


# --- Redis only -----------------------------------------------------------------------------------
async def test_the_redis_key_expires_by_itself_and_names_its_owner(redis_server: RedisServer) -> None:
    """A holder killed without release frees the lease through the key's own expiry."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_server.url)
    try:
        lease = RedisLease(client, prefix=f"test:{uuid.uuid4().hex}:")
        assert await lease.acquire("job", 5)
        assert await client.get(lease.key("job")) == lease.owner.encode()
        assert 0 < await client.pttl(lease.key("job")) <= 5000
    finally:
        await client.aclose()


async def test_redis_down_means_not_holding_and_a_restart_keeps_the_lease(
    redis_restartable: RedisServer,
) -> None:
    """While Redis is down nobody holds anything (False, no exception: the job loop just skips a round);
    with the append-only file the lease is there again after the restart, still the same owner's."""
    from redis.asyncio import Redis

    a_client = Redis.from_url(redis_restartable.url, socket_timeout=2, socket_connect_timeout=2)
    b_client = Redis.from_url(redis_restartable.url, socket_timeout=2, socket_connect_timeout=2)
    try:
        a, b = RedisLease(a_client, owner="a"), RedisLease(b_client, owner="b")
        assert await a.acquire("auto-close", 60)
        redis_restartable.stop()  # SIGTERM: Redis writes its append-only file out and exits
        assert not await a.renew("auto-close", 60)
        assert not await b.acquire("auto-close", 60)
        await a.release("auto-close")  # logged, not raised
        redis_restartable.start()
        assert not await b.acquire("auto-close", 60)
        assert await a.renew("auto-close", 60)  # the scripts are loaded again (NOSCRIPT) transparently
    finally:
        await a_client.aclose()
        await b_client.aclose()
