"""The FastAPI adapter of the Telegram webhook: request in, connector call, response out. Nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.telegram.connector import WEBHOOK_PATH

if TYPE_CHECKING:
    from connectors.telegram.connector import TelegramConnector


def build_router(connector: TelegramConnector) -> APIRouter:
    router = APIRouter()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> JSONResponse:
        status, payload = await connector.handle_webhook(await request.body(), request.headers)
        return JSONResponse(payload, status_code=status)

    return router
