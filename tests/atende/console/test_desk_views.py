"""The queue and ticket-page view-models on a real runtime: tickets filed through the web chat, then read
back the way the console pages read them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from atende.console.queue import BadFilter, QueueFilters, load_queue, parse_filters
from atende.console.ticket_view import load_ticket_page
from atende.runtime import Runtime
from tests.atende.conftest import Chat

PRINTER = "Hola, la impresora de la segunda planta no imprime nada desde esta mañana"


async def test_the_ticket_page_shows_the_transcript_diagnosis_and_requester(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    chat = Chat(client)
    ref = await chat.report(PRINTER)
    assert ref
    await chat.say("sigue sin imprimir, ahora sale un error")
    page = load_ticket_page(runtime.tickets, ref, "en")
    assert page is not None
    whos = [line.who for line in page.lines]
    assert whos[0] == "user" and "bot" in whos
    assert page.lines[0].text == PRINTER and page.lines[0].channel == "web"
    assert page.lines[-2].text == "sigue sin imprimir, ahora sale un error"  # then the bot's ack
    assert [x.event_id for x in page.lines] == sorted(x.event_id for x in page.lines)
    d = page.diagnosis
    assert [h.name for h in d.heads] == ["category", "type", "priority"]
    assert d.heads[0].label == "printing" and d.heads[0].confidence and len(d.heads[0].top) == 3
    asked = dict(d.answers)
    assert asked["¿A quién afecta esto?"] == "Solo a mí"  # the question as asked, the answer as given
    assert [(k.answer, k.solved) for k in d.kb] == [("No, sigo necesitando ayuda", False)]
    assert d.kb[0].title != "?"
    assert page.requester and page.ticket.requester.identities[0].channel == "web"
    assert page.last_event_id == page.log[-1].id


async def test_internal_notes_and_agent_replies_are_told_apart(runtime: Runtime, client: httpx.AsyncClient
                                                                ) -> None:
    chat = Chat(client)
    ref = await chat.report(PRINTER)
    assert ref
    runtime.tickets.record_event(ref, "internal_note", {"text": "llamar a facilities"}, "ana@desk.example")
    t = runtime.tickets.get(ref)
    await runtime.notifier.agent_reply(t, "Vamos para allá", "ana@desk.example")
    page = load_ticket_page(runtime.tickets, ref)
    assert page is not None
    assert [(x.who, x.text, x.actor) for x in page.lines[-2:]] == [
        ("note", "llamar a facilities", "ana@desk.example"), ("agent", "Vamos para allá", "ana@desk.example")]


async def test_queue_filters_views_counts_and_search(runtime: Runtime, app: Any) -> None:
    refs = []
    for text in (PRINTER, "My laptop cannot connect to the VPN since this morning, error 809"):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a.test") as c:
            ref = await Chat(c).report(text)
            assert ref
            refs.append(ref)
    runtime.tickets.update(refs[0], "ana@desk.example", assignee="ana@desk.example")
    runtime.tickets.flag_human(refs[1], "requester")
    now = datetime.now(UTC)
    page = load_queue(runtime.tickets, QueueFilters(), "ana@desk.example", now)
    assert page.total == 2 and page.counts == {"open": 2, "mine": 1, "unassigned": 1, "human": 1, "all": 2}
    assert [r.due for r in page.rows] == sorted(r.due for r in page.rows if r.due)  # SLA order
    mine = load_queue(runtime.tickets, parse_filters({"view": "mine"}), "ana@desk.example", now)
    assert [r.reference for r in mine.rows] == [refs[0]]
    human = load_queue(runtime.tickets, parse_filters({"needs_human": "1"}), "x@desk", now)
    assert [r.reference for r in human.rows] == [refs[1]] and human.rows[0].needs_human
    found = load_queue(runtime.tickets, parse_filters({"q": "vpn", "language": "en"}), "x@desk", now)
    assert [r.reference for r in found.rows] == [refs[1]]
    by_cat = load_queue(runtime.tickets, parse_filters({"category": "printing", "channel": "web"}), "x", now)
    assert [r.reference for r in by_cat.rows] == [refs[0]]
    unassigned = load_queue(runtime.tickets, parse_filters({"assignee": "unassigned"}), "x", now)
    assert [r.reference for r in unassigned.rows] == [refs[1]]
    resolved = load_queue(runtime.tickets, parse_filters({"status": "resolved"}), "x", now)
    assert resolved.total == 0
    assert parse_filters({"status": "", "q": "  "}) == QueueFilters()
    for bad in ({"status": "bogus"}, {"view": "x"}, {"page": "0"}, {"sort": "title"}, {"q": "x" * 201}):
        with pytest.raises(BadFilter):
            parse_filters(bad)
    assert QueueFilters(view="mine", q="vpn").query(page=2) == {"view": "mine", "q": "vpn", "page": "2"}


def test_a_row_is_overdue_by_the_wall_clock_or_the_stored_sla_state(runtime: Runtime) -> None:
    from dataclasses import replace

    from atende.console.queue import row
    from tests.ticket_core.conftest import new_ticket

    t = runtime.tickets.create_ticket(new_ticket())
    assert t.resolution_due is not None
    assert not row(t, t.created_at).overdue
    assert row(t, t.resolution_due.replace(year=t.resolution_due.year + 1)).overdue
    breached = replace(t, sla={"resolution": {"breached": True, "completed_at": None}})
    assert row(breached, t.created_at).overdue
    assert not row(replace(breached, status="resolved"), t.created_at).overdue
