"""GET /api/sla/notifications: agents only (token checked before any parameter is read), strict filters,
newest first; and the runtime's SLA scanner wired to the Dispatcher's outbounds."""

from __future__ import annotations

from typing import Any

import httpx

from atende.runtime import Runtime
from atende.sla.notifier import DeskNotifier
from atende.sla.scanner import SlaScanner
from tests.atende.sla.conftest import new_ticket, sla_policy
from tests.ticket_core.conftest import Clock
from ticket_core import TicketStore


async def test_notifications_are_listed_for_agents_only(
    runtime: Runtime, client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    url = runtime.settings.resolved_database_url
    clock = Clock(runtime.tickets.now())
    with TicketStore.open(url, sla_policy(), clock=clock) as store:
        ref = store.create_ticket(new_ticket("api")).reference
        clock.advance(minutes=101)
        await SlaScanner(store, DeskNotifier({}), worker="w", max_attempts=1).scan_once()
    assert (await client.get("/api/sla/notifications")).status_code == 401
    bad = await client.get("/api/sla/notifications?state=bogus", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 403  # refused before the bad parameter is even looked at
    r = await client.get("/api/sla/notifications", headers=agent_headers)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["notifications"]
    assert [(n["reference"], n["level"], n["state"]) for n in rows] == [
        (ref, 100, "failed"), (ref, 90, "skipped"), (ref, 75, "skipped")]
    assert rows[0]["kind"] == "sla_breached" and rows[0]["target"] == "first_response"
    only = await client.get(f"/api/sla/notifications?reference={ref.lower()}&state=failed&limit=1",
                            headers=agent_headers)
    assert [n["level"] for n in only.json()["notifications"]] == [100]
    for query, name in (("state=bogus", "state"), ("limit=0", "limit"), ("colour=red", "colour"),
                        ("offset=-1", "offset")):
        r = await client.get(f"/api/sla/notifications?{query}", headers=agent_headers)
        assert r.status_code == 400 and name in r.json()["detail"], query
    # The event the console shows is on the ticket.
    ticket = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()
    assert [e["kind"] for e in ticket["events"] if e["kind"].startswith("sla_")] == ["sla_breached"]


def test_the_runtime_scans_through_the_dispatchers_outbounds(runtime: Runtime) -> None:
    scanner = runtime.sla_scanner
    assert scanner is not None and scanner.notifier.outbounds is runtime.dispatcher.outbounds
    assert scanner.tickets is runtime.tickets
