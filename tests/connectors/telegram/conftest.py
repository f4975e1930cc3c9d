"""Telegram test fixtures: the fake Bot API on a free local port, and the connector mounted in a FastAPI app
driven through httpx (ASGI transport), exactly as `atende serve` mounts it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from connectors.base import ConnectorContext
from connectors.telegram import mount
from tests.connectors.harness import MountedHarness
from tests.connectors.telegram.fake_telegram import TOKEN, FakeTelegram

SECRET = "s3cr3t-token_for-tests"
CAP = 64 * 1024  # attachment cap in these tests


@pytest.fixture
async def telegram_fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def telegram_env(fake: FakeTelegram, **extra: str) -> dict[str, str]:
    return {"ATENDE_TELEGRAM_TOKEN": TOKEN, "ATENDE_TELEGRAM_SECRET": SECRET,
            "ATENDE_TELEGRAM_API_BASE": fake.base_url, **extra}


@dataclass
class TelegramHarness(MountedHarness):
    fake: FakeTelegram

    async def post(self, update: Any, *, secret: str | None = SECRET,
                   raw: bytes | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        if raw is not None:
            return await self.http.post("/webhooks/telegram", content=raw, headers=headers)
        return await self.http.post("/webhooks/telegram", json=update, headers=headers)


@pytest.fixture
async def telegram_harness(telegram_fake: FakeTelegram, telegram_intake: Any,
                           tmp_path: Path) -> AsyncIterator[TelegramHarness]:
    ctx = ConnectorContext(inbox=telegram_intake, data_dir=tmp_path, public_url=None,
                           max_attachment_bytes=CAP)
    mounted = mount(ctx, telegram_env(telegram_fake))
    assert mounted is not None and mounted.router is not None
    mounted.outbound.retry_base_delay = 0.01  # type: ignore[union-attr]
    telegram_intake.outbound = mounted.outbound
    app = FastAPI()
    app.include_router(mounted.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield TelegramHarness(telegram_fake, telegram_intake, mounted, http, tmp_path)
    assert mounted.stop is not None
    await mounted.stop()
