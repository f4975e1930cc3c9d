"""Routes for operators: liveness (/healthz), readiness (/readyz) and Prometheus metrics (/metrics).

- /healthz answers as long as the event loop does: it touches nothing else, so a slow database never gets
  a live process restarted. Open to anyone (load balancers, container runtimes).
- /readyz checks what a message needs: the ticket database, the conversation store, Redis when
  ATENDE_REDIS_URL is set, and the models (loaded, or a fallback serving). 503 names what is not ready.
  Open to anyone, so it says *what* failed, never why (the reason is logged: it may hold a host name).
- /metrics reveals traffic volume per channel and category: bearer ATENDE_METRICS_TOKEN (give that one to
  Prometheus) or the agent API token, compared in constant time.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from atende.observability import CONTENT_TYPE, Backlog, ModelState, model_state

if TYPE_CHECKING:
    from atende.runtime import Runtime

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 3.0


def model_states(runtime: Runtime) -> dict[str, ModelState]:
    return {"classifier": model_state(runtime.classifier), "kb": model_state(runtime.kb)}


def _ping_sql(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def _ping_redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.aclose()


def sql_inbox_backlog(runtime: Runtime) -> Callable[[], Awaitable[Mapping[str, Backlog]]]:
    """Single-process mode's queue: inbox rows received and not yet processed, as shard "0"."""
    from atende.adapters.stores import inbox

    def count() -> int:
        with runtime.conv_store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(inbox.c.status == "received")).scalar_one())

    async def probe() -> Mapping[str, Backlog]:
        n = await asyncio.to_thread(count)
        return {"0": Backlog(lag=n, pending=n)}

    return probe


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    metrics = runtime.metrics
    if metrics.model_probe is None:
        metrics.model_probe = lambda: model_states(runtime)
    if metrics.backlog_probe is None:  # the scaled mode installs its own (per Redis stream shard)
        metrics.backlog_probe = sql_inbox_backlog(runtime)

    def allowed(request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        tokens = [t for t in (runtime.settings.metrics_token, runtime.api_token) if t]
        # Both compared, always: the time taken must not tell which one was close.
        matches = [hmac.compare_digest(token.encode(), t.encode()) for t in tokens]
        if not any(matches):
            raise HTTPException(403, "invalid token")

    @r.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "models": runtime.model_status()}

    @r.get("/readyz")
    async def readyz() -> JSONResponse:
        checks: dict[str, Awaitable[None]] = {
            "database": asyncio.to_thread(_ping_sql, runtime.tickets.engine),
            "conversation_store": asyncio.to_thread(_ping_sql, runtime.conv_store.engine),
        }
        if runtime.settings.redis_url:
            checks["redis"] = _ping_redis(runtime.settings.redis_url)
        results = await asyncio.gather(
            *(asyncio.wait_for(c, CHECK_TIMEOUT_S) for c in checks.values()), return_exceptions=True
        )
        report: dict[str, str] = {}
        for name, result in zip(checks, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("readiness: %s unreachable: %r", name, result)
                report[name] = "unreachable"
            else:
                report[name] = "ok"
        states = model_states(runtime)
        for name, state in states.items():
            report[f"model:{name}"] = "ok" if state != "loading" else "loading"
        not_ready = [name for name, value in report.items() if value != "ok"]
        body: dict[str, Any] = {
            "status": "not ready" if not_ready else "ready",
            "checks": report,
            "models": states,
        }
        if not_ready:
            body["not_ready"] = not_ready
        return JSONResponse(status_code=503 if not_ready else 200, content=body)

    @r.get("/metrics")
    async def prometheus(request: Request) -> Response:
        allowed(request)
        await metrics.refresh()
        return Response(content=metrics.exposition(), media_type=CONTENT_TYPE)

    return r
