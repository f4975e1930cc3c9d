"""The alert channel on the Dispatcher and the stale sweep: an alert message is processed by the alert
processor (no dialog, no reply, inbox row processed); the sweep runs under the lease; a rules file from
ATENDE_ALERTS_RULES_FILE is used; a user's report linked under an alert ticket hears of its resolution."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from atende.dispatch.lease import LocalLease
from atende.runtime import Runtime, build_runtime
from tests.atende.alerts.conftest import BEARER, TOKEN, am_alert, am_payload, settle
from tests.atende.conftest import Chat


async def test_alert_messages_go_to_the_processor_not_the_dialog(alerts: httpx.AsyncClient,
                                                                 alert_runtime: Runtime) -> None:
    r = await alerts.post("/webhooks/alerts/alertmanager", json=am_payload(am_alert("p1")), headers=BEARER)
    assert r.status_code == 200
    await settle(alert_runtime)
    rows = alert_runtime.conv_store.inbox_rows("alert:svc:erp")
    assert [row["status"] for row in rows] == ["processed"] and rows[0]["channel"] == "alert"
    with alert_runtime.conv_store.engine.connect() as conn:
        outbox = conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar()
    assert outbox == 0  # nobody is answered
    assert alert_runtime.alerts.outcomes == {"opened": 1}


async def test_the_stale_sweep_resolves_and_runs_under_the_lease(alert_runtime: Runtime) -> None:
    from atende.alerts.payloads import alertmanager
    from atende.alerts.routes import message_for

    ends = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    raw = am_payload({**am_alert("s1"), "endsAt": ends})
    [alert] = alertmanager(json.dumps(raw).encode())
    await alert_runtime.alerts.handle(message_for(alert_runtime.alerts, alert))
    lease = LocalLease(owner="other")
    assert await lease.acquire("alerts-stale", 60)
    mine = LocalLease(table=lease.table, owner="me")
    task = asyncio.create_task(alert_runtime.alerts.stale_loop(0.05, mine))
    await asyncio.sleep(0.3)
    info = alert_runtime.tickets.get_alert("alertmanager:s1")
    assert info is not None and info.status == "firing"  # another process holds the lease: not here
    await lease.release("alerts-stale")
    for _ in range(100):
        info = alert_runtime.tickets.get_alert("alertmanager:s1")
        if info is not None and info.status == "stale":
            break
        await asyncio.sleep(0.05)
    task.cancel()
    assert info is not None and info.status == "stale"
    assert alert_runtime.tickets.get(info.reference).status == "resolved"  # type: ignore[union-attr]


async def test_rules_file_setting_is_used(settings_factory: Any, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("category: {default: network}\nservice_labels: [instance]\nlanguage: es\n")
    rt = build_runtime(settings_factory(alerts_token=TOKEN, alerts_rules_file=rules), env={})
    try:
        from atende.alerts.payloads import alertmanager
        from atende.alerts.routes import message_for

        [alert] = alertmanager(json.dumps(am_payload(am_alert("r1"))).encode())
        await rt.alerts.handle(message_for(rt.alerts, alert))
        [ticket] = rt.tickets.list_tickets(channel="alert")
        assert ticket.category == "network" and ticket.service == "db1:9100" and ticket.language == "es"
        assert "Etiquetas:" in ticket.description
    finally:
        rt.close()


async def test_a_report_linked_under_an_alert_ticket_hears_of_the_alerts_resolution(
    alert_app: Any, alerts: httpx.AsyncClient, alert_runtime: Runtime
) -> None:
    await alerts.post("/webhooks/alerts/alertmanager", json=am_payload(am_alert("u1")), headers=BEARER)
    await settle(alert_runtime)
    [alert_ticket] = alert_runtime.tickets.list_tickets(channel="alert")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=alert_app), base_url="http://t") as c:
        chat = Chat(c)
        ref = await chat.report("El ERP no carga desde las ocho y media, sale error de servidor")
        assert ref
        alert_runtime.tickets.link_parent(ref, alert_ticket.reference, "bot")
        cursor = (await chat.pushed())["cursor"]
        resolved = am_payload(am_alert("u1", status="resolved"), status="resolved")
        await alerts.post("/webhooks/alerts/alertmanager", json=resolved, headers=BEARER)
        await settle(alert_runtime)
        assert alert_runtime.tickets.get(ref).status == "resolved"  # type: ignore[union-attr]
        pushed: list[Any] = []
        for _ in range(100):
            pushed = (await chat.pushed(after=cursor))["replies"]
            if pushed:
                break
            await asyncio.sleep(0.05)
        assert any(ref in p["text"] and "resuelto" in p["text"] for p in pushed)
