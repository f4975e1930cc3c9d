"""Merging a duplicate: the requester's later messages on the duplicate reach the surviving ticket when it
is theirs too, and never a stranger's ticket."""

from __future__ import annotations

import httpx

from atende.runtime import Runtime
from tests.atende.conftest import Chat
from ticket_core import NewTicket, RequesterIdentity

PRINTER = "Hola, la impresora de la segunda planta no imprime nada desde esta mañana"


def another_ticket(runtime: Runtime, address: str, conversation_key: str | None) -> str:
    return runtime.tickets.create_ticket(NewTicket(
        title="Impresora", description="La impresora no imprime", category="printing", type="incident",
        impact="individual", urgency="medium", channel="web", requester=RequesterIdentity("web", address),
        conversation_key=conversation_key, language="es")).reference


async def test_messages_on_a_merged_duplicate_reach_the_surviving_ticket(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    chat = Chat(client)
    dup = await chat.report(PRINTER)
    assert dup
    first = runtime.tickets.get(dup)
    assert first is not None
    survivor = another_ticket(runtime, first.requester.identities[0].address, first.conversation_key)
    runtime.tickets.merge(dup, survivor, "ana@desk.example")
    await chat.say("ahora tampoco escanea")
    assert survivor in " ".join(r["text"] for r in chat.last)
    texts = [e.payload.get("text") for e in runtime.tickets.events(survivor) if e.kind == "message_in"]
    assert "ahora tampoco escanea" in texts
    assert not [e for e in runtime.tickets.events(dup) if e.payload.get("text") == "ahora tampoco escanea"]


async def test_a_merge_across_requesters_does_not_write_on_the_strangers_ticket(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    chat = Chat(client)
    dup = await chat.report(PRINTER)
    assert dup
    stranger = another_ticket(runtime, "someone-else", None)
    runtime.tickets.merge(dup, stranger, "ana@desk.example")
    await chat.say("ahora tampoco escanea")
    assert stranger not in " ".join(r["text"] for r in chat.last)
    said = [e.payload.get("text") for e in runtime.tickets.events(stranger)]
    assert "ahora tampoco escanea" not in said
