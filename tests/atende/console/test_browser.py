"""The console's account pages in a real headless Chromium (Debian's), against the real application served
by uvicorn: logging in (a wrong password first), the lockout, the language, a personal token, a form whose
CSRF token was removed, an agent kept out of admin pages, a disabled agent thrown out at once, and logout;
at laptop (1280 px) and phone (390 px) widths with no horizontal overflow and no CSP violation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from tests.atende.console.conftest import PASSWORD, add_agent
from tests.atende.test_webchat_browser import CHROMIUM_ARGS, screens_dir
from tests.services import free_port, require_binary

pytestmark = pytest.mark.chromium

OVERFLOW = """() => {
  const W = document.documentElement.clientWidth;
  const over = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width > 1 && (r.right > W + 0.5 || r.left < -0.5) && !el.closest(".table-wrap, .skip-link"))
      over.push(el.tagName + "." + el.className);
  }
  const unlabelled = [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
    .filter((el) => !el.labels || el.labels.length === 0).map((el) => el.name);
  return { over, unlabelled, scrollWidth: document.documentElement.scrollWidth, W,
           styles: document.querySelectorAll("style").length, htmx: typeof window.htmx };
}"""


@pytest.fixture()
async def server(settings_factory: Any) -> AsyncIterator[tuple[str, Runtime]]:
    runtime = build_runtime(settings_factory(console_failure_delay=0, console_lockout_failures=3), env={})
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


@pytest.fixture()
async def chromium() -> AsyncIterator[Any]:
    executable = require_binary(["/usr/bin/chromium", "chromium"], "chromium", "Chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def open_page(chromium: Any, width: int, errors: list[str]) -> Any:
    context = await chromium.new_context(viewport={"width": width, "height": 800}, locale="en-GB")
    page = await context.new_page()
    # Script errors and CSP violations; the 401/403 pages this test provokes on purpose are not errors.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not (
        "Failed to load resource" in m.text and ("401" in m.text or "403" in m.text)) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


async def log_in(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    """Fill the login form (the page's own when it shows one: it keeps where to go next)."""
    if "/console/login" not in page.url:
        await page.goto(f"{base}/console/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_load_state()


async def check_layout(page: Any) -> None:
    got = await page.evaluate(OVERFLOW)
    assert got["scrollWidth"] <= got["W"] and got["over"] == [], got
    assert got["styles"] == 0, "something injected an inline <style>"
    assert got["unlabelled"] == [], "form fields without a label"


@pytest.mark.parametrize("width", [1280, 390])
async def test_an_agent_logs_in_works_their_tokens_and_logs_out(
        server: tuple[str, Runtime], chromium: Any, width: int, tmp_path: Path) -> None:
    base, runtime = server
    add_agent(runtime, "ana@example.com", name="Ana Díaz")
    errors: list[str] = []
    page = await open_page(chromium, width, errors)
    await page.goto(f"{base}/console/tokens")
    assert page.url.startswith(f"{base}/console/login?next=")
    await check_layout(page)
    await log_in(page, base, "ana@example.com", "wrong password")
    assert "Wrong e-mail or password" in await page.get_by_role("alert").inner_text()
    await log_in(page, base, "ana@example.com")
    assert page.url == f"{base}/console/tokens"  # back where the login interrupted
    assert await page.evaluate("() => typeof window.htmx") == "object"
    await check_layout(page)
    # The skip link is the first stop of the keyboard, and it leads to the content.
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.className") == "skip-link"
    await page.keyboard.press("Enter")
    assert await page.evaluate("() => document.activeElement.id") == "main"
    await page.get_by_label("Token name").fill("laptop script")
    await page.get_by_role("button", name="Create token").click()
    token = await page.locator("#new-token").inner_text()
    assert token.startswith("atd_")
    await page.screenshot(path=str(screens_dir(tmp_path) / f"console-tokens-{width}.png"), full_page=True)
    # The language is the agent's: Portuguese from now on, on every page.
    await page.get_by_label("Language").select_option("pt")
    await page.get_by_role("button", name="Change").click()
    await page.wait_for_load_state()
    assert await page.evaluate("() => document.documentElement.lang") == "pt"
    assert await page.get_by_role("link", name="Meus tokens").count() == 1
    await page.get_by_role("button", name="Sair").click()
    await page.wait_for_load_state()
    assert page.url.startswith(f"{base}/console/login")
    await page.goto(f"{base}/console/")
    assert page.url.startswith(f"{base}/console/login")
    assert errors == []


async def test_security_in_the_browser(server: tuple[str, Runtime], chromium: Any) -> None:
    base, runtime = server
    add_agent(runtime, "boss@example.com", "admin")
    add_agent(runtime, "ana@example.com")
    add_agent(runtime, "cy@example.com")
    errors: list[str] = []
    ana = await open_page(chromium, 1280, errors)
    await log_in(ana, base, "ana@example.com")
    # An agent cannot open admin pages, nor see them in the nav.
    assert await ana.get_by_role("link", name="Agents").count() == 0
    response = await ana.goto(f"{base}/console/agents")
    assert response.status == 403
    # A form posted without its CSRF token is refused.
    await ana.goto(f"{base}/console/tokens")
    await ana.evaluate("() => document.querySelector('form.inline-form input[name=csrf_token]').remove()")
    await ana.get_by_label("Token name").fill("forged")
    async with ana.expect_response(lambda r: r.url.endswith("/console/tokens")) as posted:
        await ana.get_by_role("button", name="Create token").click()
    assert (await posted.value).status == 403
    assert runtime.accounts.list_tokens(everyone=True) == []
    # The lockout: three wrong passwords, then the right one is refused too.
    cy = await open_page(chromium, 390, errors)
    for _ in range(3):
        await log_in(cy, base, "cy@example.com", "guess")
    await log_in(cy, base, "cy@example.com")
    assert cy.url.startswith(f"{base}/console/login")
    assert await cy.get_by_role("alert").count() == 1
    # An admin disables Ana: her very next page is the login form.
    boss = await open_page(chromium, 390, errors)  # the admin page at phone width
    await log_in(boss, base, "boss@example.com")
    await boss.goto(f"{base}/console/agents")
    await check_layout(boss)
    await boss.get_by_role("button", name="Disable ana@example.com").click()
    await boss.wait_for_load_state()
    assert "ana@example.com" in await boss.get_by_role("status").inner_text()
    await ana.goto(f"{base}/console/")
    assert ana.url.startswith(f"{base}/console/login")
    assert errors == []
