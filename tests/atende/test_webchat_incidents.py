"""The web chat's major-incident banner (issue 12 §3): GET /api/chat/incidents over HTTP on the whole app,
and in real Chromium that the banner shows, in the page's language, while the incident is active and goes
away when it is resolved. Incidents are declared on the runtime's own ticket store, as the agent API and the
alert receivers do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from tests.atende.conftest import browser
from tests.services import require_binary
from ticket_core import TicketStore
from ticket_core.domain import NewTicket, RequesterIdentity


def declare(store: TicketStore, *, service: str | None = "ERP", title: str = "ERP is down on erp01.corp",
            major: bool = True) -> str:
    ticket = store.create_ticket(NewTicket(
        title=title, description="erp01.corp.internal: health check failed", category="outage",
        type="incident", impact="organization", urgency="high", channel="alert",
        requester=RequesterIdentity("alert", "alertmanager"), service=service))
    if major:
        store.declare_major_incident(ticket.reference, actor="agent:marta")
    return ticket.reference


async def incidents(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await client.get("/api/chat/incidents")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"
    rows: list[dict[str, Any]] = r.json()["incidents"]
    return rows


async def test_the_banner_endpoint_lists_only_active_major_incidents_and_no_text(
        app: FastAPI, runtime: Runtime) -> None:
    assert runtime.outages is not None
    runtime.outages.banner_seconds = 0  # every open page polls: the runtime caches the rows briefly
    async with browser(app) as anonymous:  # no session, no cookie: the page shows it on a first visit
        assert await incidents(anonymous) == []
        declare(runtime.tickets, service="db", title="disk 91% on db01.corp", major=False)
        ref = declare(runtime.tickets)
        rows = await incidents(anonymous)
        assert [(r["reference"], r["service"]) for r in rows] == [(ref, "ERP")]
        assert set(rows[0]) == {"reference", "service", "since"}
        assert "corp" not in repr(rows)  # titles and descriptions (internal host names) never leave
        runtime.tickets.transition(ref, "resolved", "agent:marta")
        assert await incidents(anonymous) == []


async def test_the_banner_rows_are_cached_briefly(app: FastAPI, runtime: Runtime) -> None:
    async with browser(app) as anonymous:
        assert await incidents(anonymous) == []
        declare(runtime.tickets)
        assert await incidents(anonymous) == []  # within the cache window (10 s by default)


async def test_the_banner_endpoint_takes_no_input_and_refuses_writes(app: FastAPI) -> None:
    async with browser(app) as c:
        assert (await c.post("/api/chat/incidents", json={})).status_code == 405
        assert (await c.get("/api/chat/incidents?service=<script>")).json() == {"incidents": []}


@pytest.mark.chromium
@pytest.mark.parametrize(("locale", "expected"), [
    ("es-ES", "Incidencia general con ERP desde las"),
    ("pt-BR", "Incidente geral com ERP desde as"),
    ("en-GB", "Known problem with ERP since"),
])
async def test_the_banner_is_visible_in_the_page_language(
        served: tuple[str, Runtime], locale: str, expected: str, tmp_path: Path) -> None:
    chromium = require_binary(["/usr/bin/chromium", "chromium"], "chromium", "Chromium")
    from playwright.async_api import async_playwright

    from tests.atende.test_webchat_browser import CHROMIUM_ARGS, screens_dir

    base, runtime = served
    ref = declare(runtime.tickets)
    async with async_playwright() as pw:
        chrome = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = await chrome.new_context(viewport={"width": 390, "height": 844}, locale=locale)
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                and "404" not in m.text else None)  # the browser's own /favicon.ico request
        failed: list[str] = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400
                and not r.url.endswith("/favicon.ico") else None)
        await page.goto(base + "/")
        banner = page.locator("#incidents")
        await banner.wait_for(state="visible", timeout=10_000)
        text = await banner.text_content() or ""
        assert expected in text and f"({ref})" in text, text
        assert await banner.get_attribute("role") == "status"
        assert await banner.locator(".chat__incident-ref").text_content() == ref
        box = await banner.bounding_box()
        assert box is not None and box["width"] <= 390 and box["height"] > 10
        await page.screenshot(path=str(screens_dir(tmp_path) / f"chat-banner-{locale}.png"))
        await chrome.close()
    assert errors == [] and failed == []  # no CSP violation, no script error, no failed request


async def test_the_banner_can_be_switched_off(settings_factory: Any) -> None:
    runtime = build_runtime(settings_factory(), env={"ATENDE_WEBCHAT_INCIDENT_BANNER": "false"})
    try:
        declare(runtime.tickets)
        app = create_app(runtime, manage_runtime=False)
        async with browser(app) as c:
            assert await incidents(c) == []
    finally:
        runtime.close()
