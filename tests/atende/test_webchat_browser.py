"""End to end in a real headless Chromium at 1280 and 390 px: a Spanish report through the page, ending in
a ticket, with the layout checked by assertions (nothing overflows the viewport, the newest options are
visible without scrolling, answered options are disabled, the ticket badge sits on its own line), then a
reload (history restored), an agent's reply arriving by server-sent events with the agent's name, and
"new conversation".

The server is the real `atende serve` application (uvicorn on a free port) with the default components.
Screenshots go to $ATENDE_SCREENS_DIR when set (the closing note's figures), else to the test's tmp dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
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

# Runs in the page through the DevTools protocol (not subject to the page's CSP, which forbids eval).
LAYOUT = """() => {
  const W = document.documentElement.clientWidth;
  const over = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width > 1 && (r.right > W + 0.5 || r.left < -0.5)) over.push(el.tagName + "." + el.className);
  }
  const log = document.getElementById("log").getBoundingClientRect();
  const boxes = document.querySelectorAll(".options");
  let lastOptionsVisible = null;
  if (boxes.length) {
    const r = boxes[boxes.length - 1].getBoundingClientRect();
    lastOptionsVisible = r.top >= log.top - 0.5 && r.bottom <= log.bottom + 0.5;
  }
  const items = [...document.querySelectorAll("#log > li.msg--bot")];
  const last = items[items.length - 1];
  const enabledOutsideLast = [...document.querySelectorAll(".options button:not(:disabled)")]
    .filter((b) => !last || !last.contains(b)).length;
  const header = document.querySelector(".chat__header").getBoundingClientRect().height;
  const badges = [...document.querySelectorAll("[data-ticket]")].map((b) => {
    const text = b.parentElement.querySelector(".msg__text").getBoundingClientRect();
    return b.getBoundingClientRect().top >= text.bottom - 0.5;
  });
  return { over, scrollWidth: document.documentElement.scrollWidth, W, lastOptionsVisible,
           enabledOutsideLast, header, badges, lang: document.documentElement.lang,
           subtitle: document.getElementById("subtitle").textContent };
}"""


UNROLL = """(on) => {
  document.querySelector(".chat").style.height = on ? "auto" : "";
  document.getElementById("log").style.overflow = on ? "visible" : "";
}"""


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


def screens_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("ATENDE_SCREENS_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


async def check_layout(page: Any, width: int) -> dict[str, Any]:
    got: dict[str, Any] = await page.evaluate(LAYOUT)
    assert got["W"] == width
    assert got["scrollWidth"] <= width, got
    assert got["over"] == [], got["over"]
    assert got["lastOptionsVisible"] in (None, True), "the newest options are hidden below the fold"
    assert got["enabledOutsideLast"] == 0, "an answered question's options are still clickable"
    assert got["header"] < 64, "the header wraps"
    assert all(got["badges"]), "a ticket badge is glued to the text"
    return got


async def converse(page: Any, width: int) -> str:
    bots = page.locator("#log > li.msg--bot")

    async def act(action: Any) -> None:
        before = await bots.count()
        await action()
        await bots.nth(before).wait_for(timeout=30_000)
        await check_layout(page, width)

    async def say(text: str) -> None:
        await page.fill("#text", text)
        await page.press("#text", "Enter")

    await act(lambda: say("Hola, la impresora de la segunda planta no imprime nada desde esta mañana"))
    for _ in range(15):
        marker = page.locator("[data-ticket]")
        if await marker.count():
            ref = await marker.last.get_attribute("data-ticket")
            assert ref is not None
            return ref
        buttons = page.locator(".options button:not([disabled])")
        if await buttons.count():
            no = page.locator('.options button[data-option="kb:no"]:not([disabled])')
            target = no.first if await no.count() else buttons.first
            await act(target.click)
        else:
            await act(lambda: say("desde esta mañana, sale un error de papel atascado"))
    raise AssertionError("no ticket after 15 turns")


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
async def test_a_spanish_report_in_the_browser(
    server: tuple[str, Any], tmp_path: Path, width: int, height: int
) -> None:
    chromium = require_binary(["/usr/bin/chromium", "chromium"], "chromium", "Chromium")
    from playwright.async_api import async_playwright

    base, runtime = server
    shots = screens_dir(tmp_path)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": width, "height": height}, locale="es-ES")
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        requests: list[str] = []
        page.on("request", lambda req: requests.append(f"{req.method} {req.url}"))
        await page.goto(base + "/")
        await page.locator("#contact").wait_for()  # anonymous: name and e-mail offered, skippable
        assert await page.locator("#contact-name-label").text_content() == "Nombre"
        order = []
        for _ in range(8):  # keyboard users reach everything in reading order
            await page.keyboard.press("Tab")
            order.append(await page.evaluate("() => document.activeElement.id"))
        assert order == ["new", "contact-name", "contact-email", "contact-save", "contact-skip", "log",
                         "text", "send"]
        for control in ("#text", "#contact-name", "#contact-email"):  # every field has a visible label
            assert await page.locator(control).evaluate("e => e.labels.length") == 1
        await check_layout(page, width)
        await page.screenshot(path=str(shots / f"chat-es-{width}-contact.png"))
        ticket = await converse(page, width)
        assert await page.locator("#contact").is_hidden()  # writing skipped it
        layout = await check_layout(page, width)
        assert layout["lang"] == "es" and layout["subtitle"] == "Centro de soporte TI"
        assert await page.get_attribute("#text", "placeholder") == "Describe tu problema"
        assert await page.locator("#log > li time").count() == await page.locator("#log > li").count()
        await page.screenshot(path=str(shots / f"chat-es-{width}.png"))
        # The whole conversation on one image: unroll the scrolling log for the full-page shot.
        await page.evaluate(UNROLL, True)
        await page.screenshot(path=str(shots / f"chat-es-{width}-full.png"), full_page=True)
        await page.evaluate(UNROLL, False)

        shown = await page.locator("#log > li").count()
        await page.reload()
        await page.locator("[data-ticket]").last.wait_for()
        assert await page.locator("#log > li").count() == shown  # history restored from the server
        await check_layout(page, width)

        async with httpx.AsyncClient(base_url=base) as c:
            headers = {"Authorization": f"Bearer {runtime.api_token}"}
            r = await c.post(f"/api/tickets/{ticket}/replies", headers=headers,
                             json={"text": "Hemos cambiado el tóner. ¿Puedes probar ahora?",
                                   "author": "Marta Gómez"})
            assert r.status_code == 201 and r.json()["delivered"]
        agent = page.locator("#log > li.msg--agent")
        await agent.wait_for(timeout=1_500)  # pushed by server-sent events: polling would take 4 s
        assert await agent.locator(".msg__author").text_content() == "Marta Gómez"
        assert "Hemos cambiado el tóner. ¿Puedes probar ahora?" in (await agent.text_content() or "")
        assert any("/api/chat/events" in r for r in requests)
        assert not [r for r in requests if r.startswith("GET ") and "/api/chat/messages" in r]  # no polling
        await check_layout(page, width)
        await page.screenshot(path=str(shots / f"chat-es-{width}-agent.png"))

        await page.click("#new")
        await page.locator("#log > li").first.wait_for(state="detached")
        await page.reload()
        await page.wait_for_load_state("networkidle")
        assert await page.locator("#log > li").count() == 0  # the cookie is gone: a new conversation
        await browser.close()

    assert not [e for e in errors if "Content Security Policy" in e], errors
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.get(f"/api/tickets/{ticket}", headers={"Authorization": f"Bearer {runtime.api_token}"})
    assert r.status_code == 200
    data = r.json()
    assert data["channel"] == "web" and data["language"] == "es"
    assert "impresora" in data["description"]


async def test_agent_replies_arrive_by_polling_without_event_source(
    settings_factory: Any, tmp_path: Path
) -> None:
    """The fallback: a browser (or proxy) without server-sent events still gets the push, by polling."""
    chromium = require_binary(["/usr/bin/chromium", "chromium"], "chromium", "Chromium")
    from playwright.async_api import async_playwright

    runtime = build_runtime(settings_factory(), env={})
    port = free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        await asyncio.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            page = await browser.new_page(locale="en-GB")
            await page.add_init_script("delete window.EventSource")
            await page.goto(base + "/")
            await page.fill("#text", "My laptop cannot connect to the VPN since this morning, error 809")
            await page.press("#text", "Enter")
            await page.locator("#log > li.msg--bot").first.wait_for()
            for _ in range(12):  # answer until the ticket is filed: the agent replies on it
                if await page.locator("[data-ticket]").count():
                    break
                before = await page.locator("#log > li.msg--bot").count()
                buttons = page.locator(".options button:not([disabled])")
                no = page.locator('.options button[data-option="kb:no"]:not([disabled])')
                if await buttons.count():
                    await (no.first if await no.count() else buttons.first).click()
                else:
                    await page.fill("#text", "since this morning, on my laptop")
                    await page.press("#text", "Enter")
                await page.locator("#log > li.msg--bot").nth(before).wait_for()
            ref = await page.locator("[data-ticket]").last.get_attribute("data-ticket")
            assert ref
            async with httpx.AsyncClient(base_url=base) as c:
                r = await c.post(f"/api/tickets/{ref}/replies",
                                 json={"text": "Try again now", "author": "Sam"},
                                 headers={"Authorization": f"Bearer {runtime.api_token}"})
                assert r.json()["delivered"]
            agent = page.locator("#log > li.msg--agent")
            await agent.wait_for(timeout=6_000)
            assert "Try again now" in (await agent.text_content() or "")
            await browser.close()
    finally:
        srv.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 20)
        runtime.close()
