"""``GET /api/reports/summary``: the desk's report as JSON, for agents (the same bearer tokens as the ticket
API). The figures are computed by the database (``ticket_core.reports``); docs/reports.md defines them.

Query: ``from`` and ``to`` (``YYYY-MM-DD``, inclusive local days), optional ``tz`` (an IANA zone; default the
``reports_timezone`` setting). A missing or malformed date, ``to`` before ``from``, a range over a year, an
unknown zone or any other parameter is a 400 that names the problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from atende.api import bearer_agent
from atende.report_query import summary

if TYPE_CHECKING:
    from atende.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(prefix="/api/reports", tags=["reports"])

    @r.get("/summary")
    async def get_summary(request: Request, _: str = Depends(bearer_agent(runtime))) -> dict[str, Any]:
        """Ticket volume, deflection, first-contact resolution, SLA, CSAT, backlog and classifier drift over
        the local days ``from``..``to`` in ``tz``, with the daily and weekly series the charts draw."""
        params = request.query_params
        if any(len(v) > 64 for v in params.values()) or len(params.multi_items()) != len(params):
            raise HTTPException(status_code=400, detail="each parameter once, at most 64 characters")
        return await summary(runtime, dict(params))

    return r
