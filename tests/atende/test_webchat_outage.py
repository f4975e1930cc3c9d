"""A web-chat user behind a known outage, through the whole app (issue 12 §3): the Spanish report is offered
the active major incident before anything else, "sí" files it as a child with no questions, and resolving
the parent through the agent API resolves the child and pushes the resolution to the user, in Spanish."""

from __future__ import annotations

import asyncio

import httpx

from atende.runtime import Runtime
from tests.atende.conftest import Chat
from tests.atende.test_webchat_incidents import declare


async def test_a_spanish_web_user_joins_the_outage_and_hears_when_it_is_fixed(
        chat: Chat, client: httpx.AsyncClient, runtime: Runtime, agent_headers: dict[str, str]) -> None:
    parent = declare(runtime.tickets)
    replies = await chat.say("Hola, el ERP no carga desde hace un rato")
    offer = replies[-1]
    assert "Sabemos de un problema con ERP desde las" in offer["text"] and f"({parent})" in offer["text"]
    assert [o["id"] for o in offer["options"]] == ["outage:yes", "outage:no"]
    await chat.say("sí")
    child = chat.ticket
    assert child is not None and child != parent
    assert f"He añadido tu aviso a {parent} como {child}" in chat.last[-1]["text"]
    assert chat.options == []  # nothing more is asked
    r = await client.get(f"/api/tickets/{child}", headers=agent_headers)
    assert r.status_code == 200 and r.json()["parent_reference"] == parent, r.text

    r = await client.patch(f"/api/tickets/{parent}", json={"status": "resolved"}, headers=agent_headers)
    assert r.status_code == 200, r.text
    assert runtime.tickets.get(child).status == "resolved"  # type: ignore[union-attr]
    for _ in range(100):  # the children's pushes are queued, not awaited by the agent's request
        pushed = (await chat.pushed())["replies"]
        if pushed:
            break
        await asyncio.sleep(0.05)
    texts = " ".join(p["text"] for p in pushed)
    assert child in texts and "resuelto" in texts, pushed
