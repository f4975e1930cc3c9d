"""The HTTP application: web chat, agent API, and the webhook routes of every configured connector."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from atende import api, console, desk_api, kb_pages, ops, reports
from atende.ratelimit import IpRateLimit
from atende.runtime import Runtime
from atende.sla import routes as sla_routes

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyLimit:
    """Refuse request bodies over the limit with 413 before anything parses them (chunked ones too)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        too_big = False

        async def limited() -> Message:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = b'{"detail":"request body too large"}'
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class BodyReadTimeout:
    """408 when a client does not send its whole body within ``seconds``: a Content-Length longer than the
    body must not hold a connection (and a worker slot) until the client gives up. Uvicorn's timeouts
    cover idle keep-alive only. The body (already capped by BodyLimit, which runs outside this) is read
    here under one deadline and replayed to the app."""

    def __init__(self, app: Any, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []

        async def read_all() -> None:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return

        try:
            await asyncio.wait_for(read_all(), self.seconds)
        except TimeoutError:
            log.info("request body not received within %.0fs: 408", self.seconds)
            body = b'{"detail":"request body not received in time"}'
            await send({"type": "http.response.start", "status": 408, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


#: For responses that set no policy of their own (JSON, errors): load nothing, be framed by nobody.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


class SecurityHeaders:
    """nosniff on every response, and a Content-Security-Policy on those that bring none (the web chat's
    page sets its own, with the frame-ancestors its embedding allows)."""

    def __init__(self, app: Any, skip_csp: tuple[str, ...] = ()) -> None:
        self.app = app
        self.skip_csp = skip_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        add_csp = not scope.get("path", "").startswith(self.skip_csp) if self.skip_csp else True

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                headers.append((b"x-content-type-options", b"nosniff"))
                if b"referrer-policy" not in names:
                    headers.append((b"referrer-policy", b"same-origin"))
                if add_csp and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class QuietPolls(logging.Filter):
    """Drops the access-log line of each web-chat poll and event-stream connection (one every few
    seconds per open page); everything else is logged as before."""

    PATHS = ("/api/chat/messages", "/api/chat/events")

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and args[1] == "GET":
            return not str(args[2]).startswith(self.PATHS)
        return True


def quiet_polls() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QuietPolls) for f in access.filters):
        access.addFilter(QuietPolls())


def create_app(runtime: Runtime, *, manage_runtime: bool = True, load_models: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_runtime:
            await runtime.start(load_models=load_models)
        try:
            yield
        finally:
            if manage_runtime:
                await runtime.stop()

    docs = runtime.settings.api_docs
    quiet_polls()
    app = FastAPI(
        title="Atende",
        version="0.1.0",
        lifespan=lifespan,
        description="Conversational intake bot for IT service desks",
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {err.get('msg')}")
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems)})

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, Any]:
        return {"status": "ok", "models": runtime.model_status()}

    app.include_router(api.router(runtime))
    app.include_router(desk_api.router(runtime))
    app.include_router(reports.router(runtime))
    app.include_router(sla_routes.router(runtime))
    app.include_router(ops.router(runtime))
    app.include_router(console.router(runtime))
    app.include_router(kb_pages.router(runtime.settings.resolved_kb_dir))
    for m in runtime.mounted:
        if m.router is not None:
            app.include_router(m.router)
    if runtime.settings.alerts_token and runtime.alerts is not None:
        # Off (404) without the token. Not exempt from the per-IP limit: a monitoring system sends far
        # fewer requests than it, and a forger's flood is then limited before the token is even checked.
        from atende.alerts import routes as alert_routes

        app.include_router(alert_routes.router(runtime, runtime.alerts))
    # Outermost last: per-IP limit, security headers, the size cap, then the read deadline (reads what the
    # cap let in).
    app.add_middleware(BodyReadTimeout, seconds=runtime.settings.read_timeout)
    app.add_middleware(BodyLimit, max_bytes=runtime.settings.max_body_bytes)
    # Swagger UI needs inline script and styles: the default policy would blank it.
    app.add_middleware(SecurityHeaders, skip_csp=("/docs",) if docs else ())
    # Providers' webhooks come from their few addresses (their senders are limited one by one); the web
    # chat's users are limited per IP like every other route.
    webhooks = [route.path for m in runtime.mounted if m.router is not None and m.name != "web"
                for route in m.router.routes]
    app.add_middleware(IpRateLimit, spec=runtime.settings.rate_limit_ip, exempt=webhooks)
    app.state.runtime = runtime
    return app
