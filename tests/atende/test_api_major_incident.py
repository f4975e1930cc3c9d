"""POST /api/tickets/{ref}/major-incident (issue 12 §3): an agent declares a major incident and links the
affected tickets; only agents may; unknown, closed and self-links are refused; resolving it resolves the
children and tells each requester."""

from __future__ import annotations

import asyncio

import httpx

from atende.runtime import Runtime
from tests.atende.conftest import Chat
from tests.ticket_core.conftest import new_ticket


async def test_declare_link_and_resolve(
    chat: Chat, other_chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str], runtime: Runtime
) -> None:
    a = await chat.report("The ERP does not open, it says the server is not available")
    b = await other_chat.report("No puedo entrar al ERP, dice servidor no disponible")
    assert a and b
    parent = runtime.tickets.create_ticket(
        new_ticket(channel="api", address="marta", title="ERP unavailable", service="ERP")
    ).reference
    url = f"/api/tickets/{parent}/major-incident"
    assert (await client.post(url, json={"children": [a]})).status_code == 401
    marta = {**agent_headers, "X-Atende-Agent": "marta"}
    r = await client.post(url, json={"children": [a, b]}, headers=marta)
    assert r.status_code == 200, r.text
    assert r.json()["major_incident"] is True and r.json()["children"] == [a, b]
    again = await client.post(url, headers=agent_headers)  # no body: just (still) a major incident
    assert again.status_code == 200 and again.json()["children"] == [a, b]
    linked = [e for e in runtime.tickets.events(a) if e.kind == "linked"]
    assert linked and linked[0].actor == "marta" and linked[0].payload["parent"] == parent
    detail = (await client.get(f"/api/tickets/{a}", headers=agent_headers)).json()
    assert detail["parent_reference"] == parent

    cursor = (await chat.pushed())["cursor"]
    r = await client.patch(f"/api/tickets/{parent}", json={"status": "resolved"}, headers=agent_headers)
    assert r.status_code == 200
    for ref in (a, b):
        assert runtime.tickets.get(ref).status == "resolved"  # type: ignore[union-attr]
    for _ in range(100):
        pushed = (await chat.pushed(after=cursor))["replies"]
        if pushed:
            break
        await asyncio.sleep(0.05)
    assert any(a in p["text"] for p in pushed)


async def test_refusals(chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str],
                        runtime: Runtime) -> None:
    a = await chat.report("Outlook crashes when I open the shared calendar")
    assert a
    r = await client.post("/api/tickets/INC-999999/major-incident", headers=agent_headers)
    assert r.status_code == 404
    r = await client.post(f"/api/tickets/{a}/major-incident", json={"children": ["INC-999998"]},
                          headers=agent_headers)
    assert r.status_code == 404 and "INC-999998" in r.json()["detail"]
    r = await client.post(f"/api/tickets/{a}/major-incident", json={"children": [a]}, headers=agent_headers)
    assert r.status_code == 409 and "own parent" in r.json()["detail"]
    assert runtime.tickets.get(a).major_incident is False  # type: ignore[union-attr]  # nothing half-done
    await client.patch(f"/api/tickets/{a}", json={"status": "closed"}, headers=agent_headers)
    r = await client.post(f"/api/tickets/{a}/major-incident", headers=agent_headers)
    assert r.status_code == 409
    r = await client.post(f"/api/tickets/{a}/major-incident", json={"children": "nope"},
                          headers=agent_headers)
    assert r.status_code == 422
