"""End to end in a real headless Chromium: report a problem through the page, find the ticket via the API.

The server is the real `atende serve` application (uvicorn on a free port) with the default components.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from atende.app import create_app
from atende.runtime import build_runtime
from tests.services import free_port, require_binary

pytestmark = pytest.mark.chromium

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture()
async def server(settings_factory: Any) -> AsyncIterator[tuple[str, Any]]:
    runtime = build_runtime(settings_factory(use_keyword_standins=False), env={})
    port = free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    for _ in range(500):
        if srv.started:
            break
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}", runtime
    srv.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 20)
    runtime.close()


async def test_report_a_problem_in_the_browser_and_find_the_ticket(
    server: tuple[str, Any], tmp_path: Path
) -> None:
    chromium = require_binary(["/usr/bin/chromium", "chromium"], "chromium", "Chromium")
    from playwright.async_api import async_playwright

    base, runtime = server
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(locale="es-ES")
        await page.goto(base + "/")
        bots = page.locator(".msg--bot")

        async def act(action: Any) -> None:
            before = await bots.count()
            await action()
            await page.wait_for_function(
                f"document.querySelectorAll('.msg--bot').length > {before}", timeout=30_000
            )

        async def say(text: str) -> None:
            await page.fill("#text", text)
            await page.press("#text", "Enter")

        await act(lambda: say("Hola, la impresora de la segunda planta no imprime nada desde esta mañana"))
        ticket = None
        for _ in range(15):
            marker = page.locator("[data-ticket]")
            if await marker.count():
                ticket = await marker.last.get_attribute("data-ticket")
                break
            buttons = page.locator(".options button:not([disabled])")
            if await buttons.count():
                no = page.locator('.options button[data-option="kb:no"]:not([disabled])')
                target = no.first if await no.count() else buttons.first
                await act(target.click)
            else:
                await act(lambda: say("desde esta mañana, sale un error de papel atascado"))
        await page.screenshot(path=str(tmp_path / "chat.png"))
        await browser.close()

    assert ticket is not None and ticket[:4] in ("INC-", "REQ-", "PRB-", "CHG-")
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.get(f"/api/tickets/{ticket}", headers={"Authorization": f"Bearer {runtime.api_token}"})
    assert r.status_code == 200
    data = r.json()
    assert data["channel"] == "web" and data["language"] == "es"
    assert "impresora" in data["description"]
