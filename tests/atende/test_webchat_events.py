"""Server-sent events over a real uvicorn server: a push reaches an open stream at once, as
``text/event-stream`` with ids, and a reconnect with Last-Event-ID resumes after what was seen."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx

from atende.runtime import Runtime


async def next_event(lines: AsyncIterator[str]) -> dict[str, str]:
    event: dict[str, str] = {}
    async for line in lines:
        if not line:
            if "data" in event:
                return event
            event = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(": ")
        event[name] = value
    raise AssertionError("stream ended")


async def test_a_push_reaches_an_open_stream_at_once(served: tuple[str, Runtime]) -> None:
    base, runtime = served
    agent = {"Authorization": f"Bearer {runtime.api_token}"}
    async with httpx.AsyncClient(base_url=base, timeout=10) as user, httpx.AsyncClient(base_url=base) as desk:
        r = await user.post("/api/chat/messages", json={"text": "The printer on floor 2 prints blank pages"})
        session = r.json()["session"]
        for _ in range(12):
            replies = r.json()["replies"]
            ref = next((x["ticket"] for x in replies if x["ticket"]), None)
            if ref:
                break
            opts = [o["id"] for x in replies for o in x["options"]]
            body = {"option": "kb:no" if "kb:no" in opts else opts[0]} if opts else {"text": "since today"}
            r = await user.post("/api/chat/messages", json=body)
        assert ref
        async with httpx.AsyncClient(base_url=base) as stranger:
            assert (await stranger.get(f"/api/chat/events?session={session}")).status_code == 403
        async with user.stream("GET", "/api/chat/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            t0 = time.perf_counter()
            await desk.post(f"/api/tickets/{ref}/replies", json={"text": "On our way", "author": "Ana"},
                            headers=agent)
            event = await asyncio.wait_for(next_event(lines), 3)
            assert time.perf_counter() - t0 < 1.0
            data = json.loads(event["data"])
            assert event["event"] == "message" and int(event["id"]) == data["id"]
            assert "On our way" in data["text"] and data["author"] == "Ana"
        await desk.post(f"/api/tickets/{ref}/replies", json={"text": "Fixed?"}, headers=agent)
        resumed = user.stream("GET", "/api/chat/events", headers={"Last-Event-ID": event["id"]})
        async with resumed as stream:
            data = json.loads((await asyncio.wait_for(next_event(stream.aiter_lines()), 3))["data"])
            assert "Fixed?" in data["text"]  # only what came after the last event seen
