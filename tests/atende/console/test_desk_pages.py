"""The desk pages over HTTP: who may see and do what, that every action is recorded with the agent, and
that replies and status changes reach the requester while notes never do."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from atende.runtime import Runtime
from tests.atende.conftest import Chat
from tests.atende.console.conftest import ConsoleBrowser, add_agent, console_browser
from tests.ticket_core.conftest import new_ticket
from ticket_core import NewAttachment

AGENT = "ana@desk.example"
PRINTER = "Hola, la impresora de la segunda planta no imprime nada desde esta mañana"


async def filed_by_chat(app: FastAPI) -> tuple[Chat, str]:
    chat = Chat(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://atende.test"))
    ref = await chat.report(PRINTER)
    assert ref
    return chat, ref


async def logged_in(console: ConsoleBrowser, runtime: Runtime, email: str = AGENT, role: str = "agent"
                    ) -> ConsoleBrowser:
    add_agent(runtime, email, role)
    assert (await console.login(email)).status_code == 303
    return console


async def test_desk_pages_need_a_login(console: ConsoleBrowser, console_runtime: Runtime) -> None:
    ref = console_runtime.tickets.create_ticket(new_ticket()).reference
    for url in ("/console/", f"/console/tickets/{ref}", f"/console/tickets/{ref}/lines",
                f"/console/tickets/{ref}/attachments/1", "/console/canned"):
        r = await console.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login"), url
    for action in ("reply", "note", "update", "assign-me", "merge"):
        r = await console.post(f"/console/tickets/{ref}/{action}", {"text": "x"}, csrf=False)
        assert r.status_code == 401, action
    assert [e.kind for e in console_runtime.tickets.events(ref)] == ["created"]


async def test_the_queue_lists_filters_and_counts(console: ConsoleBrowser, console_runtime: Runtime) -> None:
    rt = console_runtime
    vpn = rt.tickets.create_ticket(new_ticket()).reference
    printer = rt.tickets.create_ticket(new_ticket(title="Printer jam", category="printing",
                                                  description="Paper jam")).reference
    rt.tickets.update(printer, AGENT, assignee=AGENT)
    await logged_in(console, rt)
    page = await console.get("/console/")
    assert page.status_code == 200 and vpn in page.text and printer in page.text
    assert 'data-count="mine">1<' in page.text and 'data-count="open">2<' in page.text
    assert "Content-Security-Policy" in page.headers and "unsafe-inline" not in page.headers[
        "Content-Security-Policy"]
    found = await console.get("/console/?q=jam")
    assert printer in found.text and vpn not in found.text
    mine = await console.get("/console/?view=mine")
    assert printer in mine.text and vpn not in mine.text
    rows = await console.get("/console/?view=unassigned&fragment=rows")
    assert vpn in rows.text and printer not in rows.text and "<html" not in rows.text
    assert (await console.get("/console/?status=bogus")).status_code == 400


async def test_reply_note_changes_and_merge_are_recorded_with_the_agent(
    console: ConsoleBrowser, console_runtime: Runtime, console_app: FastAPI
) -> None:
    rt = console_runtime
    chat, ref = await filed_by_chat(console_app)
    await logged_in(console, rt)
    page = await console.get(f"/console/tickets/{ref}")
    assert page.status_code == 200 and PRINTER in page.text and "¿A quién afecta esto?" in page.text

    forged = await console.post(f"/console/tickets/{ref}/reply", {"text": "forged"}, csrf=False)
    assert forged.status_code == 403
    wrong = await console.post(f"/console/tickets/{ref}/reply", {"text": "forged", "csrf_token": "x" * 40})
    assert wrong.status_code == 403
    assert "forged" not in str([e.payload for e in rt.tickets.events(ref)])

    r = await console.post(f"/console/tickets/{ref}/reply", {"text": "Vamos a revisar el tóner"})
    assert r.status_code == 303 and "done=reply.sent" in r.headers["location"]
    pushed = await chat.pushed()
    assert "Vamos a revisar el tóner" in str(pushed)
    assert "'author': 'Ana'" in str(pushed)  # the user sees the agent's name; the log keeps the e-mail

    r = await console.post(f"/console/tickets/{ref}/note", {"text": "SECRETO interno"})
    assert r.status_code == 303
    r = await console.post(f"/console/tickets/{ref}/update", {"category": "hardware", "priority": "P2",
                                                               "status": "pending_user"})
    assert r.status_code == 303 and "done=edit.saved" in r.headers["location"]
    t = rt.tickets.get(ref)
    assert t is not None and (t.category, t.priority, t.status) == ("hardware", "P2", "pending_user")
    # A category correction is what `atende train --from-db` learns from.
    assert next(row for row in rt.tickets.training_rows() if row.reference == ref).corrected
    bad = await console.post(f"/console/tickets/{ref}/update", {"status": "new"})
    assert bad.status_code == 409  # the lifecycle refuses it, and says so
    stranger = await console.post(f"/console/tickets/{ref}/update", {"assignee": "nobody@else.example"})
    assert stranger.status_code == 400  # only the desk's enabled agents take tickets
    r = await console.post(f"/console/tickets/{ref}/assign-me", {})
    assert rt.tickets.get(ref).assignee == AGENT  # type: ignore[union-attr]

    survivor = rt.tickets.create_ticket(new_ticket()).reference
    r = await console.post(f"/console/tickets/{ref}/merge", {"into": survivor})
    assert r.status_code == 303 and "done=merge.done" in r.headers["location"]
    assert rt.tickets.get(ref).status == "closed"  # type: ignore[union-attr]
    assert (await console.post(f"/console/tickets/{ref}/merge", {"into": "nonsense"})).status_code == 400

    events = rt.tickets.events(ref)
    by_agent = [e.kind for e in events if e.actor == AGENT]
    assert {"agent_reply", "internal_note", "field_changed", "status_changed", "assigned", "merged"} <= set(
        by_agent)
    assert "SECRETO interno" not in str(await chat.pushed())  # the note never reached the user
    assert not [e for e in events if e.kind == "notification_sent" and "SECRETO" in str(e.payload)]
    lines = await console.get(f"/console/tickets/{ref}/lines?after={events[0].id}")
    assert "SECRETO interno" in lines.text and "line--note" in lines.text


async def test_resolving_asks_the_user_for_csat(console: ConsoleBrowser, console_runtime: Runtime,
                                                console_app: FastAPI) -> None:
    chat, ref = await filed_by_chat(console_app)
    await logged_in(console, console_runtime)
    r = await console.post(f"/console/tickets/{ref}/update", {"status": "resolved"})
    assert r.status_code == 303
    pushed = await chat.pushed()
    assert "csat:1" in str(pushed)


async def test_attachments_download_only_the_tickets_own_files(
    console: ConsoleBrowser, console_runtime: Runtime, tmp_path: Path
) -> None:
    rt = console_runtime
    # Not under data/attachments: the retention sweep started with the app removes empty folders there.
    folder = rt.settings.data_dir / "test-files"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "screen.png").write_bytes(b"\x89PNG fake")
    outside = tmp_path / "secret.txt"
    outside.write_text("not yours")
    mine = rt.tickets.create_ticket(new_ticket(attachments=[
        NewAttachment("screen.png", "image/png", 9, str(folder / "screen.png")),
        NewAttachment("passwd", "text/plain", 9, str(outside))]))
    other = rt.tickets.create_ticket(new_ticket(attachments=[
        NewAttachment("x.png", "image/png", 9, str(folder / "screen.png"))]))
    await logged_in(console, rt)
    good, escaping = mine.attachments
    r = await console.get(f"/console/tickets/{mine.reference}/attachments/{good.id}")
    assert r.status_code == 200 and r.content == b"\x89PNG fake"
    assert r.headers["content-disposition"].startswith("attachment") and r.headers[
        "content-type"] == "application/octet-stream"
    outside_data = await console.get(f"/console/tickets/{mine.reference}/attachments/{escaping.id}")
    assert outside_data.status_code == 404
    foreign = other.attachments[0].id
    assert (await console.get(f"/console/tickets/{mine.reference}/attachments/{foreign}")).status_code == 404


async def test_canned_responses_are_managed_by_admins_and_used_by_agents(
    console: ConsoleBrowser, console_runtime: Runtime, console_app: FastAPI
) -> None:
    rt = console_runtime
    await logged_in(console, rt)
    assert (await console.get("/console/canned")).status_code == 403
    assert (await console.post("/console/canned", {"title": "x", "language": "es", "body": "y"})
            ).status_code == 403
    admin = console_browser(console_app)
    async with admin.client:
        await logged_in(admin, rt, "root@desk.example", "admin")
        assert (await admin.get("/console/canned")).status_code == 200
        r = await admin.post("/console/canned", {"title": "Tóner", "language": "es",
                                                 "body": "Hola {requester_name}, sobre {reference}"})
        assert r.status_code == 303
        assert (await admin.post("/console/canned", {"title": "T", "language": "es", "body": "y"},
                                 csrf=False)).status_code == 403
        dup = await admin.post("/console/canned", {"title": "Tóner", "language": "es", "body": "z"})
        assert dup.status_code == 400
    [saved] = rt.tickets.canned.list()
    assert saved.updated_by == "root@desk.example"
    ref = rt.tickets.create_ticket(new_ticket(language="es")).reference
    page = await console.get(f"/console/tickets/{ref}")
    assert f'data-body="Hola Ana, sobre {ref}"' in page.text


async def test_pages_speak_the_agents_language(console: ConsoleBrowser, console_runtime: Runtime) -> None:
    ref = console_runtime.tickets.create_ticket(new_ticket()).reference
    add_agent(console_runtime, "pt@desk.example", language="pt")
    assert (await console.login("pt@desk.example")).status_code == 303
    queue = await console.get("/console/")
    assert "Sem responsável" in queue.text and 'lang="pt"' in queue.text
    page = await console.get(f"/console/tickets/{ref}")
    assert ">Responder</button>" in page.text and "Nota interna (nunca enviada ao solicitante)" in page.text


async def test_new_lines_come_after_the_cursor_in_log_order(console: ConsoleBrowser, console_runtime: Runtime
                                                            ) -> None:
    rt = console_runtime
    ref = rt.tickets.create_ticket(new_ticket()).reference
    await logged_in(console, rt)
    first = rt.tickets.add_message(ref, "in", "first", "web", "requester")
    cursor = rt.tickets.events(ref)[-1].id
    rt.tickets.record_event(ref, "internal_note", {"text": "second"}, AGENT)
    rt.tickets.add_message(ref, "in", "third", "web", "requester")
    r = await console.get(f"/console/tickets/{ref}/lines?after={cursor}")
    assert r.status_code == 200 and first.reference == ref
    assert "first" not in r.text and r.text.index("second") < r.text.index("third")
    assert f'data-last-event="{rt.tickets.events(ref)[-1].id}"' in r.text
    assert (await console.get("/console/tickets/INC-999999/lines")).status_code == 404
    assert (await console.get("/console/tickets/..%2Fetc/lines")).status_code == 404


def test_desk_strings_never_override_the_consoles_own() -> None:
    import re

    from atende.console import desk_i18n, i18n

    base = set(re.findall(r'^\s+"([a-z_.\-]+)":', Path(i18n.__file__).read_text(), re.M))
    assert base and not base & set(desk_i18n.EN), base & set(desk_i18n.EN)
    assert set(desk_i18n.EN) == set(desk_i18n.ES) == set(desk_i18n.PT)  # every string in all three
