"""The agent API: bearer auth, listing and filters, corrections, replies pushed to the requester."""

from __future__ import annotations

from typing import Any

import httpx

from atende.runtime import Runtime
from tests.atende.conftest import Chat


async def test_no_token_is_401_and_wrong_token_403(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/tickets")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = await client.get("/api/tickets", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 403
    r = await client.get("/api/tickets", headers={"Authorization": "Basic agent-token-for-tests"})
    assert r.status_code == 401


async def test_ticket_from_chat_is_listed_with_its_events(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    ref = await chat.report("My laptop cannot connect to the VPN since this morning, error 809")
    assert ref and ref.startswith("INC-")
    r = await client.get("/api/tickets", headers=agent_headers)
    assert r.status_code == 200
    rows = r.json()["tickets"]
    assert [t["reference"] for t in rows] == [ref]
    t = rows[0]
    for key in ("status", "category", "type", "priority", "channel", "requester", "created_at"):
        assert key in t
    assert t["channel"] == "web"
    r = await client.get(f"/api/tickets/{ref}", headers=agent_headers)
    kinds = [e["kind"] for e in r.json()["events"]]
    assert "classified" in kinds and "message_in" in kinds
    assert (await client.get("/api/tickets?channel=email", headers=agent_headers)).json()["tickets"] == []
    assert (await client.get("/api/tickets?q=VPN", headers=agent_headers)).json()["tickets"][0][
        "reference"
    ] == ref
    assert (await client.get("/api/tickets/INC-999999", headers=agent_headers)).status_code == 404


async def test_patch_records_corrections_and_refuses_invalid_moves(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str], runtime: Runtime
) -> None:
    ref = await chat.report("The printer on floor 2 prints blank pages")
    r = await client.patch(
        f"/api/tickets/{ref}", json={"category": "technical_support", "priority": "P2"}, headers=agent_headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["category"] == "technical_support" and r.json()["priority"] == "P2"
    rows = runtime.tickets.training_rows()
    assert rows[0].corrected and rows[0].category == "technical_support"
    r = await client.patch(f"/api/tickets/{ref}", json={"status": "closed"}, headers=agent_headers)
    assert r.status_code == 200
    r = await client.patch(f"/api/tickets/{ref}", json={"status": "in_progress"}, headers=agent_headers)
    assert r.status_code == 409
    r = await client.patch(f"/api/tickets/{ref}", json={"priority": "P9"}, headers=agent_headers)
    assert r.status_code == 422
    r = await client.patch(f"/api/tickets/{ref}", json={}, headers=agent_headers)
    assert r.status_code == 400


async def test_agent_reply_and_resolution_reach_the_web_user_then_csat(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str], runtime: Runtime
) -> None:
    ref = await chat.report("No puedo abrir el correo en Outlook, dice que la contraseña es incorrecta")
    r = await client.post(
        f"/api/tickets/{ref}/replies", json={"text": "Hemos reiniciado tu buzón."}, headers=agent_headers
    )
    assert r.status_code == 201 and r.json()["delivered"] is True
    first = await chat.pushed()
    assert any("Hemos reiniciado tu buzón." in p["text"] for p in first["replies"])
    assert (await chat.pushed(after=first["cursor"]))["replies"] == []

    r = await client.patch(f"/api/tickets/{ref}", json={"status": "resolved"}, headers=agent_headers)
    assert r.status_code == 200
    pushed = (await chat.pushed(after=first["cursor"]))["replies"]
    csat_options = [o["id"] for p in pushed for o in p["options"]]
    assert len(csat_options) >= 5
    await chat.pick(csat_options[4])
    if chat.options:  # optional comment: skip it
        await chat.say("Muy rápido, gracias")
    ticket = runtime.tickets.get(ref)
    assert ticket is not None and ticket.csat_score == 5
    kinds = [e.kind for e in runtime.tickets.events(ref)]
    assert kinds.count("notification_sent") == 2


async def test_push_to_a_channel_that_cannot_be_reached_is_logged(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str], runtime: Runtime
) -> None:
    ref = await chat.report("Wi-Fi keeps dropping in the meeting room")
    runtime.dispatcher.outbounds.pop("web")
    r = await client.post(f"/api/tickets/{ref}/replies", json={"text": "On our way"}, headers=agent_headers)
    assert r.json()["delivered"] is False
    events = runtime.tickets.events(ref)
    failed = [e for e in events if e.kind == "notification_failed"]
    assert failed and "cannot push" in failed[0].payload["error"]


async def test_a_requester_never_reaches_another_requesters_ticket(
    chat: Chat, other_chat: Chat, runtime: Runtime
) -> None:
    ref = await chat.report("Necesito acceso a la carpeta compartida de finanzas")
    assert ref
    events_before = len(runtime.tickets.events(ref))
    await other_chat.say("status")
    assert all(ref not in r["text"] for r in other_chat.last)
    await other_chat.say(f"close {ref}")
    await other_chat.say(f"Por favor añadan esto a {ref}: también falla la impresora")
    ticket = runtime.tickets.get(ref)
    assert ticket is not None and ticket.status == "new"
    texts = [e.payload.get("text", "") for e in runtime.tickets.events(ref)]
    assert not any("impresora" in t for t in texts)
    assert len(runtime.tickets.events(ref)) == events_before
    await chat.say("status")
    assert any(ref in r["text"] for r in chat.last)


async def test_generated_token_is_stored_and_reused(settings_factory: Any) -> None:
    from atende.runtime import ensure_api_token

    s = settings_factory(api_token=None)
    token, created = ensure_api_token(s)
    assert created and len(token) >= 32
    assert (s.data_dir / "api_token").stat().st_mode & 0o777 == 0o600
    assert ensure_api_token(s) == (token, False)


async def test_a_failed_in_conversation_delivery_is_logged_on_that_conversations_ticket(
    chat: Chat, other_chat: Chat, runtime: Runtime
) -> None:
    from connectors.base import ChannelError
    from dialog.messages import Identity, InboundMessage

    ref = await chat.report("The VPN disconnects every ten minutes")
    other = await other_chat.report("Outlook does not open at all since the update")
    msg = InboundMessage(channel="web", conversation_key=f"web:{chat.session}",
                         sender=Identity("web", chat.session), text="hello")
    await runtime.inbox.delivery_failed(msg, "web", chat.session, ChannelError("provider down"))
    failed = [e for e in runtime.tickets.events(ref) if e.kind == "notification_failed"]
    assert failed and failed[0].payload["error"] == "provider down"
    assert not [e for e in runtime.tickets.events(other) if e.kind == "notification_failed"]


async def test_transcript_events_store_the_label_the_user_saw_with_the_id_alongside(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    ref = await chat.report("Mi impresora no imprime nada desde esta mañana")
    assert ref
    events = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()["events"]
    pressed = [e["payload"] for e in events if e["kind"] == "message_in" and "option" in e["payload"]]
    assert pressed, events
    for p in pressed:
        assert not p["text"].startswith("[") and p["option"] and p["text"] != p["option"]
    assert any(p["option"] == "kb:no" and p["text"] == "No, sigo necesitando ayuda" for p in pressed)
