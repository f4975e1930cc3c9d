"""Agent console: time from a web-chat user's message to its display on the ticket page an agent has open
(live feed over server-sent events), median of N messages, in real headless Chromium.

The server is the real application (uvicorn, keyword stand-ins: the path measured does not touch the
models). The user writes through the web-chat API (POST /api/chat/messages, as the chat page does); the
display time is taken inside the console page by a MutationObserver on the conversation (wall clock, same
machine as the sender). Messages are spaced by a random 0-2 s so the feed's idle poll is not in phase.

    python -m benchmarks.console_latency [--messages 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from atende.app import create_app
from atende.console.auth import hash_password
from atende.runtime import build_runtime
from atende.settings import load_settings
from benchmarks._common import free_port

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WATCH = """() => {
  window.__shown = {};
  new MutationObserver(() => {
    for (const li of document.querySelectorAll("#lines > li.line--user")) {
      const m = /bench message (\\d+)/.exec(li.textContent);
      if (m && !(m[1] in window.__shown)) window.__shown[m[1]] = performance.timeOrigin + performance.now();
    }
  }).observe(document.getElementById("lines"), { childList: true });
}"""
EMAIL, PASSWORD = "bench@desk.example", "bench password 123"


async def say(chat: httpx.AsyncClient, session: str | None, body: dict[str, Any]) -> tuple[str, list[Any]]:
    if session:
        body = {"session": session, **body}
    r = await chat.post("/api/chat/messages", json=body)
    r.raise_for_status()
    return r.json()["session"], r.json()["replies"]


async def file_ticket(chat: httpx.AsyncClient) -> tuple[str, str]:
    session, replies = await say(chat, None, {"text": "My laptop cannot connect to the VPN since this "
                                                      "morning, error 809"})
    for _ in range(15):
        ref = next((r["ticket"] for r in replies if r.get("ticket")), None)
        if ref:
            return session, ref
        options = [o["id"] for r in replies for o in r["options"]]
        if "kb:no" in options:
            session, replies = await say(chat, session, {"option": "kb:no"})
        elif options:
            session, replies = await say(chat, session, {"option": options[0]})
        else:
            session, replies = await say(chat, session, {"text": "since this morning, on my laptop"})
    raise RuntimeError("no ticket filed")


async def measure(base: str, browser: Any, messages: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as chat:
        session, ref = await file_ticket(chat)
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.goto(base + "/console/login")
        await page.fill("#login-email", EMAIL)
        await page.fill("#login-password", PASSWORD)
        await page.press("#login-password", "Enter")
        await page.wait_for_url(base + "/console/")
        await page.goto(f"{base}/console/tickets/{ref}")
        await page.wait_for_load_state("networkidle")
        await asyncio.sleep(1.0)  # the feed's stream is open
        await page.evaluate(WATCH)
        times: list[float] = []
        for i in range(messages):
            await asyncio.sleep(random.uniform(0, 2))
            sent = time.time() * 1000
            await say(chat, session, {"text": f"bench message {i}: it still drops"})
            line = page.locator("#lines > li.line--user", has_text=f"bench message {i}:")
            await line.wait_for(timeout=15_000)
            shown = await page.evaluate(f"() => window.__shown['{i}']")
            times.append(shown - sent)
        await context.close()
    return times


async def main(messages: int) -> None:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as d:
        settings = load_settings(data_dir=Path(d), api_token="bench", use_keyword_standins=True)
        runtime = build_runtime(settings, env={})
        runtime.accounts.add_agent(EMAIL, "Bench", "agent", hash_password(PASSWORD), "en")
        port = free_port()
        srv = uvicorn.Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port,
                                            log_level="warning"))
        task = asyncio.create_task(srv.serve())
        while not srv.started:
            await asyncio.sleep(0.02)
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                   args=CHROMIUM_ARGS)
                ms = await measure(f"http://127.0.0.1:{port}", browser, messages)
                await browser.close()
        finally:
            srv.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 20)
            runtime.close()
    ordered = sorted(ms)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    print(f"User's web-chat message -> shown on the agent's open ticket page (Chromium, SSE, {messages} "
          "messages), milliseconds")
    print("| median | p90 | min | max |")
    print("|---|---|---|---|")
    print(f"| {statistics.median(ms):.0f} | {p90:.0f} | {min(ms):.0f} | {max(ms):.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20)
    asyncio.run(main(parser.parse_args().messages))
