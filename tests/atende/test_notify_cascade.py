"""Resolving a major incident tells every affected user (issue 12 §3): each child's requester hears of the
resolution on their own conversation, in their language, through the agent API's ordinary PATCH."""

from __future__ import annotations

import asyncio

import httpx

from atende.runtime import Runtime
from tests.atende.conftest import Chat
from ticket_core import NewTicket, RequesterIdentity


async def _pushed_until(chat: Chat, cursor: int | None = None) -> list[dict[str, object]]:
    for _ in range(100):
        replies = (await chat.pushed(after=cursor))["replies"]
        if replies:
            return list(replies)
        await asyncio.sleep(0.05)
    return []


async def test_parent_resolution_reaches_each_childs_requester_in_their_language(
    chat: Chat, other_chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str], runtime: Runtime
) -> None:
    es = await chat.report("El ERP no carga desde las ocho, da un error de conexión al abrirlo")
    en = await other_chat.report("The ERP does not load since eight, it shows a connection error")
    assert es and en
    es_cursor = (await chat.pushed())["cursor"]
    en_cursor = (await other_chat.pushed())["cursor"]
    parent = runtime.tickets.declare_major_incident(
        NewTicket(title="ERP down", description="ERP unreachable", category="outage", type="incident",
                  impact="organization", urgency="high", channel="alert",
                  requester=RequesterIdentity("alert", "alertmanager"), service="ERP"),
        [es, en], actor="marta",
    )
    r = await client.patch(f"/api/tickets/{parent.reference}", json={"status": "resolved"},
                           headers=agent_headers)
    assert r.status_code == 200, r.text
    for ref in (es, en):
        child = runtime.tickets.get(ref)
        assert child is not None and child.status == "resolved"

    es_pushed = await _pushed_until(chat, es_cursor)
    en_pushed = await _pushed_until(other_chat, en_cursor)
    assert any(es in str(p["text"]) for p in es_pushed) and any(en in str(p["text"]) for p in en_pushed)
    assert "resuelto" in str(es_pushed[0]["text"]) and "resolved" in str(en_pushed[0]["text"])
    assert any(p["options"] for p in es_pushed)  # the CSAT question follows, as for any resolution
    for ref in (es, en):
        sent = [e for e in runtime.tickets.events(ref) if e.kind == "notification_sent"]
        assert sent and sent[-1].payload["kind"] == "resolved"
    # the alert-channel parent has nobody to tell: no failed notification is logged on it
    assert not [e for e in runtime.tickets.events(parent.reference) if e.kind == "notification_failed"]
