"""``GET /api/sla/notifications``: the SLA warnings, breaches and escalations the desk was sent, newest first
(the console lists them; each is also an ``sla_warning`` / ``sla_breached`` event on its ticket).

Same access as the agent API: the bearer token, compared in constant time, checked before any parameter is
read. Filters: ``reference``, ``state`` (claimed, sent, failed, skipped), ``limit`` (1-500), ``offset``.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request

if TYPE_CHECKING:
    from atende.runtime import Runtime

STATES = ("claimed", "sent", "failed", "skipped")


def router(runtime: Runtime) -> APIRouter:
    def agent(request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(status_code=401, detail="missing bearer token",
                                headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(token.encode(), runtime.api_token.encode()):
            raise HTTPException(status_code=403, detail="invalid token")
        return request.headers.get("x-atende-agent", "agent")

    r = APIRouter(prefix="/api/sla", tags=["agents"])

    @r.get("/notifications")
    async def notifications(request: Request, _: str = Depends(agent)) -> dict[str, Any]:
        query = dict(request.query_params)
        if unknown := set(query) - {"reference", "state", "limit", "offset"}:
            raise HTTPException(status_code=400, detail=f"{sorted(unknown)[0]}: unknown filter")
        state = query.get("state")
        if state is not None and state not in STATES:
            raise HTTPException(status_code=400, detail=f"state: must be one of {', '.join(STATES)}")
        reference = query.get("reference")
        if reference is not None and len(reference) > 20:
            raise HTTPException(status_code=400, detail="reference: too long")
        page = {}
        for name, low, high, default in (("limit", 1, 500, 100), ("offset", 0, 10**9, 0)):
            value = query.get(name, str(default))
            if not value.isdigit() or not low <= int(value) <= high:
                raise HTTPException(status_code=400, detail=f"{name}: must be an integer, {low} to {high}")
            page[name] = int(value)
        scanner = runtime.sla_scanner
        if scanner is None:
            return {"notifications": []}
        rows = await asyncio.to_thread(
            lambda: scanner.ledger.list(reference=reference, state=state, **page))
        return {"notifications": [n.to_json() for n in rows]}

    return r
