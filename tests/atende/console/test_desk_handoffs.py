"""The handoff inbox and the console's event stream over HTTP: login, CSRF, and the agent as actor."""

from __future__ import annotations

from fastapi import FastAPI

from atende.runtime import Runtime
from tests.atende.console.conftest import ConsoleBrowser
from tests.atende.console.test_desk_pages import AGENT, filed_by_chat, logged_in


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
