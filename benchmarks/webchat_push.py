"""Web chat: time from an agent's reply (POST /api/tickets/{ref}/replies) to its display in the page,
server-sent events vs the polling fallback (median of N replies each), in real headless Chromium.

The server is the real application (uvicorn, keyword stand-ins for speed: the push path does not touch the
models). The display time is taken inside the page by a MutationObserver (wall clock, same machine as the
sender). Replies are spaced by a random 0-4 s so that polling is measured across its whole 4-second phase.

    python -m benchmarks.webchat_push [--replies 20]
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
from atende.runtime import build_runtime
from atende.settings import load_settings
from benchmarks._common import free_port

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WATCH = """() => {
  window.__shown = [];
  new MutationObserver(() => {
    const n = document.querySelectorAll("#log > li.msg--agent").length;
    while (window.__shown.length < n) window.__shown.push(performance.timeOrigin + performance.now());
  }).observe(document.getElementById("log"), { childList: true });
}"""


async def file_ticket(page: Any) -> str:
    await page.fill("#text", "My laptop cannot connect to the VPN since this morning, error 809")
    await page.press("#text", "Enter")
    bots = page.locator("#log > li.msg--bot")
    await bots.first.wait_for()
    for _ in range(15):
        if await page.locator("[data-ticket]").count():
            break
        before = await bots.count()
        no = page.locator('.options button[data-option="kb:no"]:not([disabled])')
        buttons = page.locator(".options button:not([disabled])")
        if await buttons.count():
            await (no.first if await no.count() else buttons.first).click()
        else:
            await page.fill("#text", "since this morning, on my laptop")
            await page.press("#text", "Enter")
        await bots.nth(before).wait_for()
    ref = await page.locator("[data-ticket]").last.get_attribute("data-ticket")
    assert ref
    return ref


async def measure(base: str, token: str, browser: Any, polling: bool, replies: int) -> list[float]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    if polling:
        await context.add_init_script("delete window.EventSource")
    page = await context.new_page()
    await page.goto(base + "/")
    ref = await file_ticket(page)
    await page.evaluate(WATCH)
    times: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as desk:
        for i in range(replies):
            await asyncio.sleep(random.uniform(0, 4))
            sent = time.time() * 1000
            r = await desk.post(f"/api/tickets/{ref}/replies", json={"text": f"reply {i}", "author": "Bench"})
            assert r.status_code == 201
            await page.locator("#log > li.msg--agent").nth(i).wait_for(timeout=15_000)
            shown = await page.evaluate(f"() => window.__shown[{i}]")
            times.append(shown - sent)
    await context.close()
    return times


async def main(replies: int) -> None:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as d:
        settings = load_settings(data_dir=Path(d), api_token="bench", use_keyword_standins=True)
        runtime = build_runtime(settings, env={})
        port = free_port()
        srv = uvicorn.Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port,
                                            log_level="warning"))
        task = asyncio.create_task(srv.serve())
        while not srv.started:
            await asyncio.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                   args=CHROMIUM_ARGS)
                results = {
                    "server-sent events": await measure(base, "bench", browser, False, replies),
                    "polling fallback (4 s)": await measure(base, "bench", browser, True, replies),
                }
                await browser.close()
        finally:
            srv.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 20)
            runtime.close()
    print(f"Agent reply -> shown in the page (Chromium, {replies} replies each), milliseconds")
    print("| transport | median | p90 | min | max |")
    print("|---|---|---|---|---|")
    for name, ms in results.items():
        ms_sorted = sorted(ms)
        p90 = ms_sorted[min(len(ms_sorted) - 1, int(0.9 * len(ms_sorted)))]
        print(f"| {name} | {statistics.median(ms):.0f} | {p90:.0f} | {min(ms):.0f} | {max(ms):.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=20)
    asyncio.run(main(parser.parse_args().replies))
