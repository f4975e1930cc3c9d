"""The agent API of issue 11 §4: filters, strict query parameters, total and sort; an agent's reply picks
the ticket up; pending_user is one message to the user."""

from __future__ import annotations

import httpx

from atende.runtime import Runtime
from tests.atende.conftest import Chat


async def test_filters_total_and_sort(
    chat: Chat, other_chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str], runtime: Runtime
) -> None:
    first = await chat.report("My laptop cannot connect to the VPN since this morning, error 809")
    second = await other_chat.report("La impresora de la segunda planta no imprime nada desde ayer")
    assert first and second
    patch = {"priority": "P1", "assignee": "marta"}
    await client.patch(f"/api/tickets/{first}", json=patch, headers=agent_headers)
    runtime.tickets.flag_human(second, "bot")

    async def refs(query: str) -> tuple[list[str], int]:
        r = await client.get(f"/api/tickets?{query}", headers=agent_headers)
        assert r.status_code == 200, r.text
        return [t["reference"] for t in r.json()["tickets"]], r.json()["total"]

    assert await refs("") == ([second, first], 2)
    assert await refs("sort=created_at") == ([first, second], 2)
    assert (await refs("sort=resolution_due"))[0][0] == first  # P1: due first
    assert await refs("priority=P1") == ([first], 1)
    assert await refs("assignee=marta") == ([first], 1)
    assert await refs("assignee=") == ([second], 1)
    assert await refs("needs_human=true") == ([second], 1)
    assert await refs("needs_human=false") == ([first], 1)
    assert await refs("language=es") == ([second], 1)
    assert await refs("type=incident&limit=1") == ([second], 2)  # the total ignores paging


async def test_unknown_filters_and_bad_values_are_a_400_that_names_them(
    client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    for query, name in [("colour=red", "colour"), ("priority=P9", "priority"), ("type=bug", "type"),
                        ("needs_human=maybe", "needs_human"), ("sort=title", "sort"), ("limit=0", "limit"),
                        ("status=bogus", "status"), ("status=new&status=open", "status")]:
        r = await client.get(f"/api/tickets?{query}", headers=agent_headers)
        assert r.status_code == 400, query
        assert name in r.json()["detail"], (query, r.json())


async def test_an_agents_reply_picks_the_ticket_up(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str], runtime: Runtime
) -> None:
    ref = await chat.report("Outlook does not open at all since the update this morning")
    assert ref
    runtime.tickets.flag_human(ref, "bot")
    before = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()
    assert before["status"] == "new" and before["needs_human"] and before["first_response_at"] is None
    r = await client.post(f"/api/tickets/{ref}/replies", json={"text": "On it"}, headers=agent_headers)
    assert r.status_code == 201
    after = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()
    assert after["status"] == "open" and after["needs_human"] is False
    assert after["first_response_at"] is not None
    await client.post(f"/api/tickets/{ref}/replies", json={"text": "Still on it"}, headers=agent_headers)
    again = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()
    assert again["first_response_at"] == after["first_response_at"]
    pushed = (await chat.pushed())["replies"]
    assert len(pushed) == 2  # the replies only: no "your ticket is now open" beside them


async def test_pending_user_sends_one_message(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    ref = await chat.report("The VPN disconnects every ten minutes since yesterday")
    assert ref
    await client.patch(f"/api/tickets/{ref}", json={"status": "open"}, headers=agent_headers)
    cursor = (await chat.pushed())["cursor"]
    r = await client.patch(f"/api/tickets/{ref}", json={"status": "pending_user"}, headers=agent_headers)
    assert r.status_code == 200
    pushed = (await chat.pushed(after=cursor))["replies"]
    assert len(pushed) == 1 and ref in pushed[0]["text"]
