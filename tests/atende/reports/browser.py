"""Shared by the browser test and the screenshot script: a real ``atende serve`` application on a free port
over a ticket database seeded beforehand, with one console agent, and a Chromium logged in as that agent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import uvicorn

from atende.app import create_app
from atende.console.auth import hash_password
from atende.runtime import Runtime, build_runtime
from atende.settings import Settings
from tests.services import free_port, require_binary

EMAIL, PASSWORD = "marta@desk.test", "correct horse battery staple"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.asynccontextmanager
async def serve(settings: Settings, seed: Callable[[str], Any], language: str = "en"
                ) -> AsyncIterator[tuple[str, Runtime]]:
    """``seed(database_url)`` writes the history before the application opens the database."""
    seed(settings.resolved_database_url)
    runtime = build_runtime(settings, env={})
    runtime.accounts.add_agent(EMAIL, "Marta", "agent", hash_password(PASSWORD), language)
    port = free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}", runtime
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 20)
        runtime.close()


@contextlib.asynccontextmanager
async def logged_in(base: str, width: int = 1440, height: int = 900) -> AsyncIterator[tuple[Any, list[str]]]:
    """A Chromium page logged in as the agent, and the list its console errors land in."""
    from playwright.async_api import async_playwright

    chromium = require_binary(["/usr/bin/chromium", "chromium"], "chromium", "Chromium")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": width, "height": height})
            page = await context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url')}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            await page.goto(base + "/console/login")
            await page.fill("#login-email", EMAIL)
            await page.fill("#login-password", PASSWORD)
            async with page.expect_navigation():
                await page.click("button[type=submit]")
            yield page, errors
        finally:
            await browser.close()
