"""The desk's live feed: time from a user's web-chat message to its arrival on the console's SSE stream
(GET /api/events), median and p90 of N messages, in two situations:

- ``live``: an agent has taken the conversation (the message goes straight to the ticket, no bot reply);
- ``bot``: a follow-up to an open ticket the bot handles (appended to the ticket, acknowledged by the bot).

The server is the real application under uvicorn (keyword stand-ins: the path measured does not touch the
models), SQLite in a temporary data dir, the user and the desk are HTTP clients in the same process. The
clock starts before the user's POST and stops when the ``message_in`` event with that text is read from the
stream. Messages are spaced by a random 0-0.5 s.

    python -m benchmarks.feed_latency [--messages 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from atende.app import create_app
from atende.runtime import build_runtime
from atende.settings import load_settings
from benchmarks._common import free_port, median, pct, table


async def file_ticket(user: httpx.AsyncClient) -> tuple[str, str]:
    r = await user.post("/api/chat/messages", json={"text": "My laptop cannot connect to the VPN since "
                                                            "this morning, error 809"})
    session = r.json()["session"]
    for _ in range(15):
        replies = r.json()["replies"]
        ref = next((x["ticket"] for x in replies if x["ticket"]), None)
        if ref:
            return session, ref
        opts = [o["id"] for x in replies for o in x["options"]]
        body: dict[str, Any] = {"option": "kb:no" if "kb:no" in opts else opts[0]} if opts \
            else {"text": "since this morning, on my laptop"}
        r = await user.post("/api/chat/messages", json={"session": session, **body})
    raise AssertionError("no ticket filed")


async def measure(base: str, token: str, messages: int, live: bool) -> list[float]:
    desk_headers = {"Authorization": f"Bearer {token}", "X-Atende-Agent": "agent:bench"}
    arrived: dict[str, float] = {}
    wake = asyncio.Event()
    async with httpx.AsyncClient(base_url=base, timeout=30) as user, \
            httpx.AsyncClient(base_url=base, timeout=None) as desk:
        session, ref = await file_ticket(user)
        if live:
            r = await desk.post(f"/api/tickets/{ref}/handoff/take", json={"name": "Bench"},
                                headers=desk_headers)
            assert r.status_code == 200, r.text

        async def read(stream: httpx.Response) -> None:
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event["kind"] == "message_in" and event["reference"] == ref:
                        arrived[event["payload"]["text"]] = time.perf_counter()
                        wake.set()

        times: list[float] = []
        async with desk.stream("GET", "/api/events", headers=desk_headers) as stream:
            reader = asyncio.create_task(read(stream))
            for i in range(messages):
                await asyncio.sleep(random.uniform(0, 0.5))
                text = f"message {i}: the VPN dropped again at the station"
                t0 = time.perf_counter()
                r = await user.post("/api/chat/messages", json={"session": session, "text": text})
                assert r.status_code == 200
                if live:
                    assert r.json()["replies"] == [], "the bot spoke during a live handoff"
                while text not in arrived:
                    wake.clear()
                    await asyncio.wait_for(wake.wait(), 10)
                times.append((arrived[text] - t0) * 1000)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    return times


async def main(messages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "data", use_keyword_standins=True,
                                 api_token="bench-token", rate_limit_sender="1000/minute",
                                 rate_limit_ip="10000/minute")
        runtime = build_runtime(settings, env={})
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(runtime, load_models=False), host="127.0.0.1",
                                               port=port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        rows = []
        try:
            for live in (True, False):
                times = await measure(base, settings.api_token or "", messages, live)
                rows.append(["live handoff (no bot reply)" if live else "bot follow-up (ack)", len(times),
                             median(times), pct(times, 90), max(times)])
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 20)
            runtime.close()
    print("User web-chat message -> its message_in event on GET /api/events (SSE), milliseconds")
    print(table(["situation", "n", "median ms", "p90 ms", "max ms"], rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20)
    asyncio.run(main(parser.parse_args().messages))
