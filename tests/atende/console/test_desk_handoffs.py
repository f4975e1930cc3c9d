"""The handoff inbox and the console's event stream over HTTP: login, CSRF, and the agent as actor."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import httpx
from fastapi import FastAPI

from atende.console import live_events
from atende.runtime import Runtime, build_runtime
from tests.atende.console.conftest import ConsoleBrowser, add_agent
from tests.atende.console.test_desk_browser import serving
from tests.atende.console.test_desk_pages import AGENT, filed_by_chat, logged_in
from tests.ticket_core.conftest import new_ticket


async def test_take_and_release_from_the_inbox(console: ConsoleBrowser, console_runtime: Runtime,
                                               console_app: FastAPI) -> None:
    rt = console_runtime
    chat, ref = await filed_by_chat(console_app)
    await chat.say("quiero hablar con una persona")
    await logged_in(console, rt)
    inbox = await console.get("/console/handoffs")
    assert inbox.status_code == 200 and f'data-ref="{ref}" data-status="waiting"' in inbox.text
    assert "printing" in inbox.text  # the bot's diagnosis travels with the request
    fragment = await console.get("/console/handoffs?fragment=list")
    assert ref in fragment.text and "<html" not in fragment.text

    assert (await console.post(f"/console/handoffs/{ref}/take", csrf=False)).status_code == 403
    r = await console.post(f"/console/handoffs/{ref}/take")
    assert r.status_code == 303 and "done=handoffs.taken" in r.headers["location"]
    page = await console.get(f"/console/tickets/{ref}")
    assert 'data-handoff="live"' in page.text
    assert f'data-ref="{ref}" data-status="live"' in (await console.get("/console/handoffs")).text

    assert (await console.post(f"/console/handoffs/{ref}/release", csrf=False)).status_code == 403
    r = await console.post(f"/console/handoffs/{ref}/release", {"next": "inbox"})
    assert r.status_code == 303 and r.headers["location"] == "/console/handoffs"
    assert (await console.post(f"/console/handoffs/{ref}/release")).status_code == 409  # nothing to end
    kinds = [(e.kind, e.actor) for e in rt.tickets.events(ref)]
    assert ("handoff_taken", AGENT) in kinds and ("handoff_released", AGENT) in kinds


async def test_the_event_stream_needs_a_login(console: ConsoleBrowser) -> None:
    r = await console.client.get("/console/events", headers={"accept": "text/event-stream"})
    assert r.status_code == 401
    r = await console.client.post("/console/handoffs/INC-000001/take")
    assert r.status_code == 401


async def test_the_event_stream_ends_when_the_agent_is_disabled(settings_factory: Any) -> None:
    """Over a real server (the stream is endless): events flow to a logged-in agent, and the open stream
    ends within seconds of the agent being disabled, without waiting for a reconnect."""
    runtime = build_runtime(settings_factory(console_failure_delay=0), env={})
    add_agent(runtime, AGENT)
    async with serving(runtime) as base:
        browser = ConsoleBrowser(httpx.AsyncClient(base_url=base, timeout=30))
        async with browser.client:
            assert (await browser.login(AGENT)).status_code == 303
            async with browser.client.stream("GET", "/console/events?after=0",
                                             headers={"accept": "text/event-stream"}) as r:
                assert r.status_code == 200
                chunks = r.aiter_text()
                ref = runtime.tickets.create_ticket(new_ticket()).reference
                seen = ""
                while ref not in seen:
                    seen += await asyncio.wait_for(anext(chunks), 5)
                assert '"kind": "created"' in seen and "VPN" not in seen  # summaries, not the texts
                runtime.accounts.set_disabled(AGENT)
                started = time.monotonic()
                with contextlib.suppress(StopAsyncIteration):
                    while True:
                        await asyncio.wait_for(anext(chunks), 15)
                assert time.monotonic() - started < live_events.RECHECK_S * 3
    runtime.close()
