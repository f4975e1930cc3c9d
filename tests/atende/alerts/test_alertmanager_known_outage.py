"""Issue 12 §4, the last check, with the real Prometheus Alertmanager: while an alert for the ERP is firing
(injected through Alertmanager's API, delivered by its webhook to the running Atende), a web-chat user
writing in Spanish about the ERP is offered the known outage, links to it, and is told, in Spanish on the
web chat, when Alertmanager delivers the alert's resolution. A printer jam in the same minutes is not
offered it. Everything goes over real HTTP: Alertmanager -> uvicorn, the user's browser -> uvicorn."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from atende.runtime import Runtime
from tests.atende.alerts.test_alertmanager import alert, alertmanager, until
from tests.services import AlertmanagerServer

__all__ = ["alertmanager"]  # the fixture, shared with the other Alertmanager tests

OFFER = ["outage:yes", "outage:no"]


async def say(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post("/api/chat/messages", json=body)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


@pytest.mark.alertmanager
async def test_a_spanish_web_user_is_offered_the_firing_alert_links_and_hears_at_resolution(
    live: tuple[str, Runtime], alertmanager: AlertmanagerServer
) -> None:
    base, runtime = live
    store = runtime.tickets
    await asyncio.to_thread(alertmanager.post_alerts, [alert("ErpDown", "erp")])
    await until(lambda: bool(store.active_outages()), 30, "the alert's ticket", alertmanager)
    [outage] = store.active_outages()

    # The first message waits for the language detector's models to load: seconds on a busy machine.
    async with httpx.AsyncClient(base_url=base, timeout=60) as ana, \
            httpx.AsyncClient(base_url=base, timeout=60) as luis:
        first = await say(ana, {"text": "Hola, el ERP no carga desde hace un rato", "locale": "es-ES"})
        offer = first["replies"][-1]
        assert [o["id"] for o in offer["options"]] == OFFER, first
        assert "Sabemos de un problema con erp desde las" in offer["text"]
        assert f"({outage.reference})" in offer["text"]
        session = first["session"]
        joined = await say(ana, {"session": session, "text": "sí"})
        child = next(r["ticket"] for r in joined["replies"] if r["ticket"])
        assert f"He añadido tu aviso a {outage.reference} como {child}" in joined["replies"][-1]["text"]
        assert not any(r["options"] for r in joined["replies"])  # no diagnostic questions
        assert store.get(child).parent_reference == outage.reference  # type: ignore[union-attr]

        printer = await say(luis, {"text": "la impresora de la segunda planta se atascó otra vez"})
        assert not any([o["id"] for o in r["options"]] == OFFER for r in printer["replies"])

        await asyncio.to_thread(alertmanager.post_alerts, [alert("ErpDown", "erp", resolved=True)])
        await until(lambda: store.get(child).status == "resolved", 30,  # type: ignore[union-attr]
                    "the child's resolution", alertmanager)
        pushed: list[dict[str, Any]] = []
        for _ in range(200):
            r = await ana.get(f"/api/chat/messages?session={session}")
            pushed = r.json()["replies"]
            if pushed:
                break
            await asyncio.sleep(0.05)
        text = " ".join(p["text"] for p in pushed)
        assert child in text and "resuelto" in text, pushed
    assert store.get(outage.reference).status == "resolved"  # type: ignore[union-attr]
