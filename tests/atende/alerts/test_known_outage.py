"""Issue 12 §3/§4 on the whole app, with Alertmanager-format payloads posted to its receiver: a web-chat user
writing in Spanish about the service an alert is firing for is offered the known outage, links to it, and is
told (in Spanish, on the web chat) when it is resolved: by the alert's own ``resolved``, or by an agent
resolving the major incident two alerts made."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from atende.runtime import Runtime
from tests.atende.alerts.conftest import BEARER, am_alert, am_payload, settle
from tests.atende.conftest import Chat, browser

OFFER = ["outage:yes", "outage:no"]


async def pushed_text(chat: Chat) -> str:
    """What reached the page by push (the resolution is queued, not awaited by the alert's request)."""
    for _ in range(200):
        replies = (await chat.pushed())["replies"]
        if replies:
            return " ".join(r["text"] for r in replies)
        await asyncio.sleep(0.05)
    raise AssertionError("nothing was pushed to the web chat")


async def join(chat: Chat, text: str, outage: str) -> str:
    offer = (await chat.say(text))[-1]
    assert [o["id"] for o in offer["options"]] == OFFER, offer
    assert "Sabemos de un problema con erp desde las" in offer["text"] and f"({outage})" in offer["text"]
    await chat.say("sí")
    child = chat.ticket
    assert child is not None and f"He añadido tu aviso a {outage} como {child}" in chat.last[-1]["text"]
    assert chat.options == []  # no diagnostic questions
    return child


async def test_the_alerts_resolution_tells_the_spanish_web_user(
        alerts: httpx.AsyncClient, alert_app: FastAPI, alert_runtime: Runtime) -> None:
    r = await alerts.post("/webhooks/alerts/alertmanager", json=am_payload(am_alert("f1")), headers=BEARER)
    assert r.status_code == 200, r.text
    await settle(alert_runtime)
    [alert] = alert_runtime.tickets.list_tickets(channel="alert")
    async with browser(alert_app) as c:
        chat = Chat(c)
        child = await join(chat, "Hola, el ERP no carga desde hace un rato", alert.reference)
        assert alert_runtime.tickets.get(child).parent_reference == alert.reference  # type: ignore[union-attr]
        resolved = am_payload(am_alert("f1", status="resolved"), status="resolved")
        r = await alerts.post("/webhooks/alerts/alertmanager", json=resolved, headers=BEARER)
        assert r.status_code == 200, r.text
        await settle(alert_runtime)
        assert alert_runtime.tickets.get(child).status == "resolved"  # type: ignore[union-attr]
        text = await pushed_text(chat)
        assert child in text and "resuelto" in text, text


async def test_a_major_incident_from_two_alerts_is_offered_and_its_resolution_tells_the_user(
        alerts: httpx.AsyncClient, alert_app: FastAPI, alert_runtime: Runtime,
        agent_headers: dict[str, str]) -> None:
    payload = am_payload(am_alert("m1"), am_alert("m2"))
    r = await alerts.post("/webhooks/alerts/alertmanager", json=payload, headers=BEARER)
    assert r.status_code == 200, r.text
    await settle(alert_runtime)
    [major] = [t for t in alert_runtime.tickets.active_outages() if t.major_incident]
    async with browser(alert_app) as page, browser(alert_app) as other:
        banner: dict[str, Any] = (await page.get("/api/chat/incidents")).json()
        assert [(i["reference"], i["service"]) for i in banner["incidents"]] == [(major.reference, "erp")]
        chat = Chat(page)
        child = await join(chat, "el erp no carga, sale una pantalla en blanco", major.reference)
        # A printer jam in the same minutes is not offered the outage.
        printer = Chat(other)
        await printer.say("la impresora de la segunda planta se atascó otra vez")
        assert "outage:yes" not in printer.options
        r = await alerts.patch(f"/api/tickets/{major.reference}", json={"status": "resolved"},
                               headers=agent_headers)
        assert r.status_code == 200, r.text
        assert alert_runtime.tickets.get(child).status == "resolved"  # type: ignore[union-attr]
        text = await pushed_text(chat)
        assert child in text and "resuelto" in text, text
