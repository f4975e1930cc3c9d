"""The canned responses admin page (``/console/canned``): admins add, edit and delete the desk's reply
texts per language; agents use them from the ticket page's reply box. Admins only, CSRF on every POST,
and the admin's e-mail recorded as the last editor."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from atende.console.auth import Principal, form_str, require_admin, require_admin_csrf, runtime_of
from atende.console.render import render
from ticket_core import InvalidValue
from ticket_core.canned import LANGUAGES

if TYPE_CHECKING:
    from atende.runtime import Runtime

NOTICES = frozenset({"canned.saved", "canned.deleted"})


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter()

    @r.get("/canned", response_class=HTMLResponse)
    async def canned_page(request: Request, admin: Principal = Depends(require_admin)) -> Response:
        return await page(request, admin)

    @r.post("/canned")
    async def save(request: Request, admin: Principal = Depends(require_admin_csrf)) -> Response:
        form = await request.form()
        raw_id = form_str(form, "id", 12)
        if raw_id and not raw_id.isdigit():
            raise HTTPException(status_code=400, detail="id: not a number")
        try:
            await asyncio.to_thread(
                runtime.tickets.canned.save, form_str(form, "title", 200), form_str(form, "language", 16),
                form_str(form, "body", 20000), admin.actor, int(raw_id) if raw_id else None)
        except InvalidValue as exc:
            return await page(request, admin, error=str(exc), status=400)
        return RedirectResponse("/console/canned?done=canned.saved", status_code=303)

    @r.post("/canned/{canned_id}/delete")
    async def delete(request: Request, canned_id: int, admin: Principal = Depends(require_admin_csrf)
                     ) -> Response:
        if not await asyncio.to_thread(runtime.tickets.canned.delete, canned_id):
            raise HTTPException(status_code=404, detail="no such canned response")
        return RedirectResponse("/console/canned?done=canned.deleted", status_code=303)

    return r


async def page(request: Request, admin: Principal, error: str | None = None, status: int = 200) -> Response:
    runtime = runtime_of(request)
    items = await asyncio.to_thread(runtime.tickets.canned.list)
    done = request.query_params.get("done")
    return render(request, "desk/canned.html", admin, status_code=status, canned_items=items,
                  canned_languages=LANGUAGES, notice=done if done in NOTICES else None, error=error)
