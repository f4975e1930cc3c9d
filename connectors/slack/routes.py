"""The FastAPI adapter of the Slack routes: request in, connector call, response out. Nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from connectors.slack.connector import SlackConnector

Handler = Callable[[bytes, Mapping[str, str]], Awaitable[tuple[int, dict[str, Any] | None]]]


def _route(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        status, payload = await handler(await request.body(), request.headers)
        if payload is None:
            return Response(status_code=status)
        return JSONResponse(payload, status_code=status)

    return endpoint


def build_router(connector: SlackConnector) -> APIRouter:
    router = APIRouter()
    router.add_api_route("/webhooks/slack/events", _route(connector.handle_events), methods=["POST"],
                         include_in_schema=False)
    router.add_api_route("/webhooks/slack/interactions", _route(connector.handle_interactions),
                         methods=["POST"], include_in_schema=False)
    router.add_api_route("/webhooks/slack/commands", _route(connector.handle_commands), methods=["POST"],
                         include_in_schema=False)
    return router
