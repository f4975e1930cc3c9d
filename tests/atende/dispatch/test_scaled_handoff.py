"""Handoff and the desk's live feed in the scaled mode: ingress in this process, a ``python -m atende
worker`` subprocess, Redis and PostgreSQL. The agent acts on the ingress; the worker runs the engine and
writes the ticket log; the ingress's feed finds those writes by polling (they come from another process),
and the bot stays silent on Telegram while the agent has the conversation."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.atende.dispatch.scaled_cluster import Cluster, CountingTelegram
from tests.services import PostgresServer, RedisServer, make_temp_dir

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.asyncio(loop_scope="module")]

CHAT = 7001
AGENT = {"Authorization": "Bearer " + "t" * 32, "X-Atende-Agent": "agent:marta"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(postgres_server: PostgresServer, redis_server: RedisServer) -> AsyncIterator[Cluster]:
    root = make_temp_dir("atende-scaled-handoff-")
    async with CountingTelegram() as fake:
        c = Cluster(root, postgres_server.create_database("handoff"), redis_server.url, fake)
        await c.start_ingress()
        c.start_worker()
        try:
            await c.wait_owned(by=1)
            yield c
        finally:
            await c.close()
            if not os.environ.get("ATENDE_KEEP_LOGS"):
                shutil.rmtree(root, ignore_errors=True)


def sent(cluster: Cluster) -> list[str]:
    return [str(m["text"]) for m in cluster.fake.delivered.get(CHAT, [])]


async def say(cluster: Cluster, text: str) -> None:
    await cluster.post(cluster.text_update(CHAT, text))
    await cluster.settle(f"telegram:{CHAT}")


async def test_take_silence_and_release_across_processes(cluster: Cluster) -> None:
    assert cluster.http is not None
    await cluster.conversation(CHAT)
    feed = cluster.runtime.live
    stream = feed.follow(None, idle=1.0)
    await anext(stream)  # started: from now on (an idle keep-alive)

    await say(cluster, "talk to a human")
    assert "asked a person from the team" in sent(cluster)[-1]
    listed = (await cluster.http.get("/api/handoffs", headers=AGENT)).json()
    assert len(listed["waiting"]) == 1
    ref = listed["waiting"][0]["reference"]

    r = await cluster.http.post(f"/api/tickets/{ref}/handoff/take", json={"name": "Marta"}, headers=AGENT)
    assert r.status_code == 200 and r.json()["delivered"] is True, r.text
    assert sent(cluster)[-1].startswith("Marta from the service desk has joined")

    before = len(sent(cluster))
    for text in ("help", "status", "it still fails after the restart"):
        await say(cluster, text)
    assert len(sent(cluster)) == before  # not one bot message on Telegram

    seen: list[dict[str, Any]] = []

    async def until_message() -> None:
        async for batch in stream:
            seen.extend(e.to_json() for e in batch)
            if any(e["kind"] == "message_in" and e["payload"]["text"] == "it still fails after the restart"
                   for e in seen):
                return

    await asyncio.wait_for(until_message(), 15)  # written by the worker, found by the ingress's feed
    kinds = [(e["kind"], e["reference"]) for e in seen]
    assert ("human_requested", ref) in kinds and ("handoff_taken", ref) in kinds
    assert [e["payload"]["text"] for e in seen if e["kind"] == "message_in"] == [
        "help", "status", "it still fails after the restart"]
    assert [e["id"] for e in seen] == sorted({e["id"] for e in seen})
    await stream.aclose()

    r = await cluster.http.post(f"/api/tickets/{ref}/replies", json={"text": "Try the other cable, please.",
                                                                      "author": "Marta"}, headers=AGENT)
    assert r.json()["delivered"] is True and sent(cluster)[-1] == "Try the other cable, please."
    r = await cluster.http.post(f"/api/tickets/{ref}/handoff/release", headers=AGENT)
    assert r.status_code == 200 and "back with the assistant" in sent(cluster)[-1]
    before = len(sent(cluster))
    await say(cluster, "thanks")
    assert len(sent(cluster)) == before + 1  # the bot answers again
