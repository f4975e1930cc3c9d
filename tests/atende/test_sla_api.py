"""The SLA state in the agent API: ``sla`` on every ticket JSON, live on the single-ticket GET, and the first
response met by an agent's public reply (issue 14 §1)."""

from __future__ import annotations

import httpx

from atende.runtime import Runtime
from tests.atende.conftest import Chat


async def test_ticket_json_carries_the_sla_state(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str], runtime: Runtime
) -> None:
    ref = await chat.report("Outlook does not open at all since the update this morning")
    assert ref
    one = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()
    sla = one["sla"]
    assert set(sla) >= {"calendar", "priority", "active", "paused", "computed_at", "first_response",
                        "resolution"}
    assert set(sla["first_response"]) >= {"mode", "target_s", "elapsed_s", "remaining_s", "percent", "due_at",
                                          "met", "breached", "paused", "running", "completed_at"}
    assert sla["first_response"]["met"] is None and one["first_responded_at"] is None
    assert one["resolution_due"] == sla["resolution"]["due_at"]  # live and stored agree while nothing paused
    listed = (await client.get("/api/tickets", headers=agent_headers)).json()["tickets"]
    assert listed[0]["sla"]["calendar"] == sla["calendar"]
    r = await client.post(f"/api/tickets/{ref}/replies", json={"text": "On it"}, headers=agent_headers)
    assert r.status_code == 201
    after = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()
    assert after["sla"]["first_response"]["completed_at"] is not None
    assert after["first_responded_at"] == after["sla"]["first_response"]["completed_at"]
    assert after["sla"]["first_response"]["met"] in (True, False)
    assert after["first_response_at"] == after["first_responded_at"]


async def test_the_sla_of_an_unknown_ticket_is_a_404(client: httpx.AsyncClient,
                                                      agent_headers: dict[str, str]) -> None:
    r = await client.get("/api/tickets/INC-999999", headers=agent_headers)
    assert r.status_code == 404
