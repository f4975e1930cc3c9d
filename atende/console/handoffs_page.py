"""The handoff inbox (``/console/handoffs``): the conversations whose user asked for a person, and the
live ones, built on :mod:`atende.handoff` (take, release; the bot stays silent while an agent has the
conversation). The page refreshes its list from the live feed, so a new request appears without a reload.

Taking a handoff leads to the ticket page, whose reply box is then the live chat (each reply is pushed to
the user's channel at once) and which offers "Hand back to the bot".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from atende.console.auth import Principal, require_agent, require_csrf
from atende.console.desk import back, checked_ref, fmt_time
from atende.console.queue import requester_name
from atende.console.render import render

if TYPE_CHECKING:
    from atende.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    # Imported when the app is built: atende.handoff imports atende.api, which imports the console.
    from atende import handoff

    r = APIRouter()

    @r.get("/handoffs", response_class=HTMLResponse)
    async def inbox(request: Request, agent: Principal = Depends(require_agent)) -> Response:
        """Waiting (oldest first: the longest wait is served first) and live handoffs. ``?fragment=list``
        is the list alone, for the live refresh."""
        found = await handoff.handoffs(runtime)
        template = "desk/_handoff_list.html" if request.query_params.get("fragment") == "list" else \
            "desk/handoffs.html"
        return render(request, template, agent, waiting=[h for h in found if h.status == "waiting"],
                      live=[h for h in found if h.status == "live"], fmt=fmt_time, who=requester_name)

    @r.post("/handoffs/{ref}/take")
    async def take(request: Request, ref: str, agent: Principal = Depends(require_csrf)) -> Response:
        try:
            await handoff.take(runtime, checked_ref(ref), agent.actor, agent.name)
        except handoff.HandoffError as exc:
            raise HTTPException(status_code=exc.status_code, detail=str(exc)) from None
        return back(checked_ref(ref), "handoffs.taken")

    @r.post("/handoffs/{ref}/release")
    async def release(request: Request, ref: str, agent: Principal = Depends(require_csrf)) -> Response:
        try:
            await handoff.release(runtime, checked_ref(ref), agent.actor, agent.name)
        except handoff.HandoffError as exc:
            raise HTTPException(status_code=exc.status_code, detail=str(exc)) from None
        if (await request.form()).get("next") == "inbox":
            return RedirectResponse("/console/handoffs", status_code=303)
        return back(checked_ref(ref), "handoffs.released")

    return r
