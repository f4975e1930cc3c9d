"""The desk pages: the queue (``/console/``), the ticket page (``/console/tickets/{ref}``) with its
actions, and attachment downloads.

Every page needs a logged-in agent; every POST needs the session's CSRF token as well (checked by the
``require_csrf`` dependency before the form is used). Each action is recorded with the agent's e-mail as
the actor. Public replies and status changes reach the requester the way the agent API's do: through the
Notifier, which posts a ticket event to the Inbox behind the user's own messages, so the Dispatcher
delivers them in order on the ticket's channel. Internal notes are log entries and nothing else.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from atende import api as agent_api  # a module, not a name: atende.api imports the console too
from atende.console import desk_i18n, i18n
from atende.console.auth import Principal, form_str, require_agent, require_csrf, runtime_of
from atende.console.queue import ASSIGNEES, LANGUAGES, SORTS, VIEWS, BadFilter, load_queue, parse_filters
from atende.console.render import render
from atende.console.ticket_view import line, load_ticket_page
from ticket_core import PRIORITIES, STATUSES, TICKET_TYPES, TicketError

if TYPE_CHECKING:
    from atende.runtime import Runtime

i18n.register(desk_i18n.STRINGS)

REF = re.compile(r"^[A-Za-z]{3}-\d{1,12}$")
#: The notices an action may ask the page to show after its redirect (nothing else is echoed back).
NOTICES = frozenset({"reply.sent", "reply.not_delivered", "note.added", "edit.saved", "edit.nothing",
                     "assign.done", "merge.done", "handoffs.taken", "handoffs.released"})
MAX_TEXT = 20000


def now() -> datetime:
    return datetime.now(UTC)


def checked_ref(ref: str) -> str:
    if not REF.match(ref):
        raise HTTPException(status_code=404, detail="no such ticket")
    return ref.upper()


def taxonomy_categories(runtime: Any) -> list[str]:
    """The category ids of the desk's taxonomy file (the engine's), for the category select."""
    taxonomy = getattr(runtime.engine, "taxonomy", None)
    return [str(c.id) for c in taxonomy.categories] if taxonomy is not None else []


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter()

    @r.get("/", response_class=HTMLResponse)
    async def queue(request: Request, agent: Principal = Depends(require_agent)) -> Response:
        """The queue. ``?fragment=rows`` (htmx, live refresh) returns only the table."""
        try:
            filters = parse_filters(dict(request.query_params))
        except BadFilter as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        page = await asyncio.to_thread(load_queue, runtime.tickets, filters, agent.actor, now())
        template = "desk/_queue_rows.html" if request.query_params.get("fragment") == "rows" else \
            "desk/queue.html"
        return render(request, template, agent, page=page, f=filters, views=VIEWS, statuses=STATUSES,
                      priorities=PRIORITIES, types=TICKET_TYPES, assignees=ASSIGNEES, sorts=SORTS,
                      languages_filter=LANGUAGES, categories=taxonomy_categories(runtime),
                      channels=sorted({*runtime.dispatcher.outbounds, "web"}), urlencode=urlencode,
                      fmt=fmt_time)

    @r.get("/tickets/{ref}", response_class=HTMLResponse)
    async def ticket(request: Request, ref: str, agent: Principal = Depends(require_agent)) -> Response:
        return await ticket_response(request, checked_ref(ref), agent)

    @r.get("/tickets/{ref}/lines", response_class=HTMLResponse)
    async def lines(request: Request, ref: str, after: int = 0,
                    agent: Principal = Depends(require_agent)) -> Response:
        """The conversation lines after event ``after``, in log order: the page asks for them when the live
        feed says the ticket changed, so lines arrive once each and in order whatever order the feed's
        events came in."""
        ref = checked_ref(ref)
        try:
            events = await asyncio.to_thread(runtime.tickets.events, ref)
        except TicketError:
            raise HTTPException(status_code=404, detail="no such ticket") from None
        new = [x for x in (line(e) for e in events if e.id > after) if x is not None]
        last = events[-1].id if events else after
        return render(request, "desk/_lines.html", agent, lines=new, last_event_id=max(last, after),
                      fmt=fmt_time)

    @r.post("/tickets/{ref}/reply")
    async def reply(request: Request, ref: str, agent: Principal = Depends(require_csrf)) -> Response:
        ref = checked_ref(ref)
        text = (await form_text(request, "text"))
        t = await asyncio.to_thread(runtime.tickets.get, ref)
        if t is None:
            raise HTTPException(status_code=404, detail="no such ticket")
        if not text:
            return await ticket_response(request, ref, agent, error="reply.label", status=400)
        delivered = await runtime.notifier.agent_reply(t, text, agent.actor, author=agent.name)
        await asyncio.to_thread(agent_api.picked_up, runtime.tickets, t, agent.actor)
        return back(ref, "reply.sent" if delivered else "reply.not_delivered")

    @r.post("/tickets/{ref}/note")
    async def note(request: Request, ref: str, agent: Principal = Depends(require_csrf)) -> Response:
        ref = checked_ref(ref)
        text = await form_text(request, "text")
        if not text:
            return await ticket_response(request, ref, agent, error="note.label", status=400)
        try:
            await asyncio.to_thread(runtime.tickets.record_event, ref, "internal_note", {"text": text},
                                    agent.actor)
        except TicketError:
            raise HTTPException(status_code=404, detail="no such ticket") from None
        return back(ref, "note.added")

    @r.post("/tickets/{ref}/update")
    async def update(request: Request, ref: str, agent: Principal = Depends(require_csrf)) -> Response:
        """Status, priority, category, type and assignee, exactly like PATCH /api/tickets/{ref}: only the
        fields that differ are written (each logged with the agent), and a status change is pushed."""
        ref = checked_ref(ref)
        form = await request.form()
        before = await asyncio.to_thread(runtime.tickets.get, ref)
        if before is None:
            raise HTTPException(status_code=404, detail="no such ticket")
        changes: dict[str, str] = {}
        for name in ("status", "priority", "category", "type", "assignee"):
            value = form_str(form, name, 200)
            if name in form and value != (getattr(before, name) or ""):
                if name != "assignee" and not value:
                    continue
                changes[name] = value
        if not changes:
            return back(ref, "edit.nothing")
        return await apply_update(request, ref, agent, before, changes)

    @r.post("/tickets/{ref}/assign-me")
    async def assign_me(request: Request, ref: str, agent: Principal = Depends(require_csrf)) -> Response:
        ref = checked_ref(ref)
        before = await asyncio.to_thread(runtime.tickets.get, ref)
        if before is None:
            raise HTTPException(status_code=404, detail="no such ticket")
        changes = {"assignee": agent.actor}
        if before.status in ("new", "open"):
            changes["status"] = "in_progress"
        return await apply_update(request, ref, agent, before, changes, notice="assign.done")

    @r.post("/tickets/{ref}/merge")
    async def merge(request: Request, ref: str, agent: Principal = Depends(require_csrf)) -> Response:
        ref = checked_ref(ref)
        into = (await form_text(request, "into", 40)).upper()
        if not REF.match(into):
            return await ticket_response(request, ref, agent, error="merge.into", status=400)
        try:
            await asyncio.to_thread(runtime.tickets.merge, ref, into, agent.actor)
            await asyncio.to_thread(runtime.tickets.record_event, ref, "internal_note",
                                    {"text": f"Merged into {into}."}, agent.actor)
        except TicketError as exc:
            return await ticket_response(request, ref, agent, detail=str(exc), status=409)
        return back(ref, "merge.done", ref=into)

    @r.get("/tickets/{ref}/attachments/{attachment_id}")
    async def attachment(request: Request, ref: str, attachment_id: int,
                         agent: Principal = Depends(require_agent)) -> Response:
        """One of this ticket's files, as a download. The id must belong to the ticket named in the path
        and the stored file must lie inside the data directory: no other file can be served from here."""
        t = await asyncio.to_thread(runtime.tickets.get, checked_ref(ref))
        found = next((a for a in t.attachments if a.id == attachment_id), None) if t is not None else None
        if found is None or not found.path:
            raise HTTPException(status_code=404, detail="no such attachment")
        path = Path(found.path).resolve()
        root = Path(runtime.settings.data_dir).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise HTTPException(status_code=404, detail="no such attachment")
        return FileResponse(path, media_type="application/octet-stream", filename=found.name,
                            content_disposition_type="attachment",
                            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                                     "Content-Security-Policy": "sandbox; default-src 'none'"})

    return r


async def form_text(request: Request, name: str, limit: int = MAX_TEXT) -> str:
    form = await request.form()
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def apply_update(request: Request, ref: str, agent: Principal, before: Any, changes: dict[str, Any],
                       notice: str = "edit.saved") -> Response:
    runtime = runtime_of(request)
    try:
        t = await asyncio.to_thread(lambda: runtime.tickets.update(ref, agent.actor, **changes))
    except TicketError as exc:
        return await ticket_response(request, ref, agent, detail=str(exc), status=409)
    if "status" in changes and before.status != t.status:
        await runtime.notifier.status_changed(t)
    return back(ref, notice)


def back(ticket_ref: str, notice: str, **kw: str) -> RedirectResponse:
    query = urlencode({"done": notice, **kw})
    return RedirectResponse(f"/console/tickets/{ticket_ref}?{query}", status_code=303)


async def ticket_response(request: Request, ref: str, agent: Principal, error: str | None = None,
                          detail: str | None = None, status: int = 200) -> Response:
    runtime = runtime_of(request)
    page = await asyncio.to_thread(load_ticket_page, runtime.tickets, ref, agent.language)
    if page is None:
        return render(request, "desk/not_found.html", agent, status_code=404, ref=ref)
    done = request.query_params.get("done")
    notice = done if done in NOTICES and status == 200 else None
    merged_ref = request.query_params.get("ref", "")
    return render(request, "desk/ticket.html", agent, status_code=status, page=page, t_=page.ticket,
                  notice=notice, notice_ref=merged_ref if REF.match(merged_ref) else "", error=error,
                  detail=detail, statuses=STATUSES, priorities=PRIORITIES, types=TICKET_TYPES,
                  categories=taxonomy_categories(runtime), fmt=fmt_time)


def fmt_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value is not None else "—"
