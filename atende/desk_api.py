"""The desk's handoff routes and live event feed, on the agent API's bearer token.

``POST /api/tickets/{ref}/handoff/take`` and ``.../release`` act through atende/handoff.py (logged on the
ticket with the agent as actor, posted to the Inbox so they are ordered with the user's messages);
``GET /api/handoffs`` lists waiting and live handoffs; ``GET /api/events`` is the live feed as server-sent
events (atende/live.py), resumable with Last-Event-ID. The console serves the same stream under its
session login by calling ``runtime.live.sse(...)`` itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from atende import handoff
from atende.api import bearer_agent
from atende.live import last_event_id

if TYPE_CHECKING:
    from atende.runtime import Runtime

#: Response headers of an event stream: never cached or buffered by a proxy.
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class TakeIn(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100,
                             description="the name the user is told (default: the acting agent)")
    force: bool = Field(False, description="take it over from the agent who has it")


class ReleaseIn(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)


def _refused(exc: handoff.HandoffError) -> HTTPException:
    return HTTPException(status_code=exc.status_code, detail=str(exc))


def router(runtime: Runtime) -> APIRouter:
    agent = bearer_agent(runtime)
    r = APIRouter(tags=["agents"])

    @r.post("/api/tickets/{ref}/handoff/take")
    async def take(ref: str, body: TakeIn | None = None, actor: str = Depends(agent)) -> dict[str, Any]:
        """Join the ticket's conversation: the user is told who joined, and the bot stays silent until
        the release. 409 when another agent has it (unless ``force``), the ticket is finished, or it has
        no conversation."""
        body = body or TakeIn(name=None, force=False)
        try:
            found, delivered = await handoff.take(runtime, ref, actor, body.name or actor, force=body.force)
        except handoff.HandoffError as exc:
            raise _refused(exc) from None
        return {"handoff": found.to_json(), "delivered": delivered}

    @r.post("/api/tickets/{ref}/handoff/release")
    async def release(ref: str, body: ReleaseIn | None = None, actor: str = Depends(agent)) -> dict[str, Any]:
        """Hand the conversation back to the bot (or dismiss a waiting request): the user is told they are
        back with the assistant. 409 when there is no handoff."""
        body = body or ReleaseIn(name=None)
        try:
            delivered = await handoff.release(runtime, ref, actor, body.name)
        except handoff.HandoffError as exc:
            raise _refused(exc) from None
        return {"reference": ref.strip().upper(), "handoff": None, "delivered": delivered}

    @r.get("/api/handoffs")
    async def handoffs(status: Literal["waiting", "live"] | None = None,
                       _: str = Depends(agent)) -> dict[str, Any]:
        """Open tickets whose user asked for a person (``waiting``, oldest first) and conversations an
        agent has (``live``)."""
        found = await handoff.handoffs(runtime)
        out: dict[str, Any] = {}
        for kind in ("waiting", "live"):
            if status is None or status == kind:
                out[kind] = [h.to_json() for h in found if h.status == kind]
        return out

    @r.get("/api/events", response_class=StreamingResponse,
           responses={200: {"content": {"text/event-stream": {}}, "description": "the event stream"}})
    async def events(after: int | None = Query(None, ge=0),
                     last_event_id_header: str | None = Header(None, alias="Last-Event-ID"),
                     _: str = Depends(agent)) -> StreamingResponse:
        """The desk's live feed (``text/event-stream``): every ticket event in id order, one SSE event
        each with ``id:`` and JSON data (id, kind, topic, reference, actor, at, payload). Without a cursor
        it starts from now; Last-Event-ID (or ``after``) resumes after that id."""
        feed = runtime.live
        if feed is None:
            raise HTTPException(status_code=503, detail="live feed not available")
        if feed.clients >= feed.max_clients:
            raise HTTPException(status_code=503, detail="too many open event streams",
                                headers={"Retry-After": "5"})
        stream = feed.sse(last_event_id(last_event_id_header, after))
        return StreamingResponse(stream, media_type="text/event-stream", headers=STREAM_HEADERS)

    return r
