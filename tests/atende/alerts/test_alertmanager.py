"""Issue 12 §4 with the real Prometheus Alertmanager: it runs on loopback with a webhook receiver pointing
at a running Atende (uvicorn on a free port) with the bearer token, short group/repeat intervals; alerts
are injected through its API (POST /api/v2/alerts) as Prometheus would. Checked on the running server:
one ticket per fingerprint after repeats, a forged request 401, resolution resolves, and a grouped
notification of three alerts of one service makes three children under one parent."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from atende.runtime import Runtime
from tests.atende.alerts.conftest import TOKEN
from tests.services import AlertmanagerServer, start_alertmanager


@pytest.fixture()
async def alertmanager(live: tuple[str, Runtime]) -> AsyncIterator[AlertmanagerServer]:
    base, _ = live
    server = await asyncio.to_thread(start_alertmanager, f"{base}/webhooks/alerts/alertmanager", TOKEN)
    yield server
    await asyncio.to_thread(server.stop)
    shutil.rmtree(server.root, ignore_errors=True)


def alert(name: str, service: str, *, resolved: bool = False, severity: str = "critical") -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "labels": {"alertname": name, "service": service, "severity": severity, "instance": f"{service}-1"},
        "annotations": {"summary": f"{name} on {service}", "description": f"{service} does not answer",
                        "runbook_url": f"https://runbooks.example/{service}"},
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "generatorURL": f"http://prometheus.example/graph?{name}",
    }
    if resolved:
        body["endsAt"] = (now - timedelta(seconds=1)).isoformat()
    return body


async def until(check: Callable[[], bool], timeout: float, what: str, am: AlertmanagerServer) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if check():
            return
        await asyncio.sleep(0.1)
    log = am.log_text()[-3000:]
    raise AssertionError(f"{what} did not happen within {timeout}s; alertmanager log:\n{log}")


@pytest.mark.alertmanager
async def test_repeats_make_one_ticket_forgery_is_refused_and_resolution_resolves(
    live: tuple[str, Runtime], alertmanager: AlertmanagerServer
) -> None:
    base, runtime = live
    store = runtime.tickets

    def erp_alerts() -> list[Any]:
        return [a for a in store.list_alerts() if a.service == "erp"]

    # Prometheus re-sends a firing alert on every evaluation; Alertmanager repeats it every repeat_interval.
    for _ in range(3):
        await asyncio.to_thread(alertmanager.post_alerts, [alert("ErpDown", "erp")])
    await until(lambda: bool(erp_alerts()) and erp_alerts()[0].seen_count >= 3, 30,
                "three deliveries of the alert", alertmanager)
    [info] = erp_alerts()
    assert info.fingerprint.startswith("alertmanager:") and info.status == "firing"
    tickets = store.list_tickets(channel="alert")
    assert [t.reference for t in tickets] == [info.reference]
    ticket = tickets[0]
    assert ticket.title == "ErpDown on erp" and ticket.priority == "P1" and ticket.category == "outage"
    assert "runbook: https://runbooks.example/erp" in ticket.description

    async with httpx.AsyncClient(base_url=base) as client:
        forged = await client.post("/webhooks/alerts/alertmanager", json={"status": "firing", "alerts": []},
                                   headers={"Authorization": "Bearer not-the-token"})
        assert forged.status_code == 401
        unauthenticated = await client.post("/webhooks/alerts/alertmanager", content=b"{}")
        assert unauthenticated.status_code == 401
    assert store.alert_rejections() == []

    await asyncio.to_thread(alertmanager.post_alerts, [alert("ErpDown", "erp", resolved=True)])
    await until(lambda: store.get(info.reference).status == "resolved", 30,  # type: ignore[union-attr]
                "the resolution", alertmanager)
    assert erp_alerts()[0].status == "resolved"
    assert len(store.list_tickets(channel="alert")) == 1
    notes = [e.payload["action"] for e in store.events(info.reference) if e.kind == "alert"]
    assert notes == ["opened", "resolved"]


@pytest.mark.alertmanager
async def test_a_grouped_notification_of_three_alerts_makes_three_children_under_one_parent(
    live: tuple[str, Runtime], alertmanager: AlertmanagerServer
) -> None:
    _, runtime = live
    store = runtime.tickets
    await asyncio.to_thread(alertmanager.post_alerts, [
        alert("ErpApiDown", "erp"), alert("ErpDbSlow", "erp", severity="warning"),
        alert("ErpQueueStuck", "erp", severity="warning"),
    ])

    def majors() -> list[Any]:
        return [t for t in store.active_outages() if t.major_incident]

    await until(lambda: len(majors()) == 1 and len(store.children(majors()[0].reference)) == 3, 30,
                "a major incident with three children", alertmanager)
    [parent] = majors()
    assert parent.service == "erp" and parent.title == "Major incident: erp" and parent.priority == "P1"
    children = store.children(parent.reference)
    titles = sorted(c.title for c in children)
    assert titles == ["ErpApiDown on erp", "ErpDbSlow on erp", "ErpQueueStuck on erp"]
    assert {c.parent_reference for c in children} == {parent.reference}
    alerts = store.list_alerts()
    assert len(alerts) == 3 and len({a.reference for a in alerts}) == 3
    await asyncio.sleep(3)  # repeats arrive: still three tickets and one parent
    assert len(store.list_tickets(channel="alert")) == 4
    assert len(majors()) == 1
