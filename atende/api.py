"""The agent API. Bearer tokens: a personal token (``atende tokens create`` or /console/tokens) acts as its
agent, whose e-mail every action records; ATENDE_API_TOKEN (constant-time comparison) is the admin/service
token, and only with it does ``X-Atende-Agent`` name the actor (default "agent"). Tokens are stored as
SHA-256 only; a revoked token or a disabled agent's is refused on the next request.

Agents act on tickets here; status changes and public replies are pushed to the requester on the ticket's
channel by the notifier, and every push (sent or failed) lands in the ticket's event log.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from atende.console.auth import token_principal
from atende.sla import sla_json
from ticket_core import InvalidValue

if TYPE_CHECKING:
    from atende.runtime import Runtime


def to_json(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: to_json(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    return obj


class TicketPatch(BaseModel):
    status: str | None = None
    priority: Literal["P1", "P2", "P3", "P4", "P5"] | None = None
    category: str | None = Field(None, max_length=100)
    type: Literal["incident", "request", "problem", "change"] | None = None
    assignee: str | None = Field(None, max_length=200)
    impact: Literal["individual", "team", "organization"] | None = None
    urgency: Literal["low", "medium", "high"] | None = None


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=20000)
    author: str | None = Field(None, max_length=200)


def bearer_agent(runtime: Runtime) -> Callable[[Request], Awaitable[str]]:
    """The dependency every agent API route uses: the acting agent's name from the bearer token, or 401/403
    before anything else is parsed."""

    async def agent(request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(
                status_code=401, detail="missing bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        if hmac.compare_digest(token.encode(), runtime.api_token.encode()):
            # The admin/service token (ATENDE_API_TOKEN) acts for whoever X-Atende-Agent names.
            return request.headers.get("x-atende-agent", "agent")
        found = await asyncio.to_thread(token_principal, runtime, token) if len(token) <= 200 else None
        if found is None:  # unknown, revoked, or its agent disabled: refused from this request on
            raise HTTPException(status_code=403, detail="invalid token")
        # A personal token acts as its agent (the e-mail is recorded; X-Atende-Agent is ignored); a
        # service token created with `atende tokens create --service` as "service:<name>".
        return found[1]

    return agent


def router(runtime: Runtime) -> APIRouter:
    agent = bearer_agent(runtime)
    r = APIRouter(prefix="/api/tickets", tags=["agents"])
    store = runtime.tickets

    @r.get("")
    async def list_tickets(request: Request, _: str = Depends(agent)) -> dict[str, Any]:
        """Tickets, newest first, with the total that matches. Filters: status, channel, category, q,
        needs_human, priority, assignee ("" for unassigned), type, language; sort: created_at or
        resolution_due (prefix - for descending); limit, offset. Anything else is a 400 naming it."""
        filters, page = list_query(request.query_params.multi_items())
        try:
            tickets = await asyncio.to_thread(lambda: store.list_tickets(**filters, **page))
            total = await asyncio.to_thread(lambda: store.count_tickets(**filters))
        except InvalidValue as exc:  # e.g. status=bogus: the client's mistake, named
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return {"tickets": [ticket_json(t) for t in tickets], "total": total}

    @r.get("/{ref}")
    async def get_ticket(ref: str, _: str = Depends(agent)) -> dict[str, Any]:
        ticket = await asyncio.to_thread(store.get, ref)
        if ticket is None:
            raise HTTPException(status_code=404, detail=f"ticket {ref} not found")
        events = await asyncio.to_thread(store.events, ref)
        data = ticket_json(ticket)
        data["sla"] = await asyncio.to_thread(sla_json, store, ticket.reference)  # live, not as last stored
        data["events"] = to_json(events)
        first = next((e for e in events if e.kind == "agent_reply"), None)
        data["first_response_at"] = to_json(first.at) if first is not None else None
        return data

    @r.patch("/{ref}")
    async def patch_ticket(ref: str, patch: TicketPatch, actor: str = Depends(agent)) -> dict[str, Any]:
        before = await asyncio.to_thread(store.get, ref)
        if before is None:
            raise HTTPException(status_code=404, detail=f"ticket {ref} not found")
        changes = patch.model_dump(exclude_none=True)
        if not changes:
            raise HTTPException(status_code=400, detail="nothing to change")
        try:
            ticket = await asyncio.to_thread(lambda: store.update(ref, actor, **changes))
        except runtime.ticket_errors as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        if "status" in changes and str(to_json(before.status)) != str(to_json(ticket.status)):
            await runtime.notifier.status_changed(ticket)
        return ticket_json(ticket)

    @r.post("/{ref}/replies", status_code=201)
    async def reply(ref: str, body: ReplyIn, actor: str = Depends(agent)) -> dict[str, Any]:
        ticket = await asyncio.to_thread(store.get, ref)
        if ticket is None:
            raise HTTPException(status_code=404, detail=f"ticket {ref} not found")
        delivered = await runtime.notifier.agent_reply(ticket, body.text, body.author or actor)
        await asyncio.to_thread(picked_up, store, ticket, actor)
        return {"reference": ref, "delivered": delivered}

    return r


def picked_up(store: Any, ticket: Any, actor: str) -> None:
    """An agent's public reply is the first response when there was none: the ticket is picked up, so a
    ``new`` one becomes ``open`` and it no longer needs a human's attention."""
    changes: dict[str, Any] = {}
    if ticket.needs_human:
        changes["needs_human"] = False
    if ticket.status == "new":
        changes["status"] = "open"
    if changes:
        store.update(ticket.reference, actor, **changes)


TEXT_FILTERS = ("status", "channel", "category", "priority", "assignee", "type", "language")
SORTS = ("created_at", "-created_at", "resolution_due", "-resolution_due")


def list_query(items: list[tuple[str, str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The filters and paging of GET /api/tickets, or a 400 that names the unknown or bad parameter."""
    filters: dict[str, Any] = {}
    page: dict[str, Any] = {"limit": 100, "offset": 0, "sort": "-created_at"}
    seen: set[str] = set()
    for name, value in items:
        if name in seen:
            raise HTTPException(status_code=400, detail=f"{name}: given more than once")
        seen.add(name)
        if name in TEXT_FILTERS:
            if len(value) > 200:
                raise HTTPException(status_code=400, detail=f"{name}: too long")
            filters[name] = value
        elif name == "q":
            if len(value) > 200:
                raise HTTPException(status_code=400, detail="q: too long")
            filters["q"] = value
        elif name == "needs_human":
            if value.lower() not in ("true", "false", "1", "0"):
                raise HTTPException(status_code=400, detail="needs_human: must be true or false")
            filters["needs_human"] = value.lower() in ("true", "1")
        elif name in ("limit", "offset"):
            low, high = (1, 1000) if name == "limit" else (0, 10**9)
            if not value.isdigit() or not low <= int(value) <= high:
                raise HTTPException(status_code=400, detail=f"{name}: must be an integer, {low} to {high}")
            page[name] = int(value)
        elif name == "sort":
            if value not in SORTS:
                raise HTTPException(status_code=400, detail=f"sort: must be one of {', '.join(SORTS)}")
            page["sort"] = value
        else:
            raise HTTPException(status_code=400, detail=f"{name}: unknown filter")
    return filters, page


def ticket_json(ticket: Any) -> dict[str, Any]:
    """The ticket as JSON. ``sla`` is the SLA state stored at the ticket's last change or SLA scan (the
    single-ticket GET replaces it with the live state, see :func:`atende.sla.sla_json`);
    ``first_responded_at`` is when an agent first replied publicly."""
    data: dict[str, Any] = to_json(ticket)
    return data
