"""``GET /console/events``: the desk's live feed (atende/live.py) for the console pages, under the console
login (the agent API's ``/api/events`` wants a bearer token, which a browser page must not hold).

Each event carries only what a page needs to know that something changed: the event id (``id:``, so a
reconnecting EventSource resumes after Last-Event-ID), its kind, topic and ticket reference. The pages
then fetch what is new themselves, in log order (see static/desk.js), so no message text travels twice and
a page never shows a half-applied update.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from atende.console.auth import COOKIE, Principal, digest, require_agent
from atende.live import TOPICS, FeedEvent, last_event_id

if TYPE_CHECKING:
    from atende.runtime import Runtime

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
#: How often an open stream re-checks its session: a logged-out or disabled agent's stream ends this soon.
RECHECK_S = 5.0


def summary(e: FeedEvent) -> str:
    return json.dumps({"id": e.id, "kind": e.kind, "topic": TOPICS.get(e.kind, "other"),
                       "reference": e.reference})


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter()

    @r.get("/events")
    async def events(request: Request, after: int | None = Query(None, ge=0),
                     last_event_id_header: str | None = Header(None, alias="Last-Event-ID"),
                     _: Principal = Depends(require_agent)) -> StreamingResponse:
        feed = runtime.live
        if feed is None:
            raise HTTPException(status_code=503, detail="live feed not available")
        if feed.clients >= feed.max_clients:
            raise HTTPException(status_code=503, detail="too many open event streams",
                                headers={"Retry-After": "5"})
        stream = feed.sse(last_event_id(last_event_id_header, after), render=summary, idle=RECHECK_S)
        return StreamingResponse(guarded(stream, request.cookies.get(COOKIE, "")),
                                 media_type="text/event-stream", headers=STREAM_HEADERS)

    async def guarded(stream: AsyncIterator[str], cookie: str) -> AsyncIterator[str]:
        """The stream while its session lives: checked again every RECHECK_S seconds (keep-alives come
        that often), so logging out or disabling the agent ends it at once rather than at reconnect."""
        idle = timedelta(minutes=runtime.settings.console_session_idle_minutes)
        checked = time.monotonic()
        try:
            async for chunk in stream:
                if time.monotonic() - checked >= RECHECK_S:
                    checked = time.monotonic()
                    if await asyncio.to_thread(runtime.accounts.session, digest(cookie), idle) is None:
                        return
                yield chunk
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    return r
