"""Fixtures of the Twilio connector tests: the fake Twilio API, the mounted connector, a signed client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.twilio import mount
from tests.connectors.twilio.fake_twilio import FakeTwilio
from tests.connectors.twilio.harness import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    SMS_FROM,
    WHATSAPP_FROM,
    TwilioHarness,
    make_app,
)


@pytest.fixture
async def twilio_fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def twilio_env(twilio_fake: FakeTwilio) -> dict[str, str]:
    return {
        "ATENDE_PUBLIC_URL": PUBLIC_URL,
        "ATENDE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "ATENDE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "ATENDE_TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "ATENDE_TWILIO_SMS_FROM": SMS_FROM,
        "ATENDE_TWILIO_API_BASE": twilio_fake.url,
    }


@pytest.fixture
async def twilio(twilio_intake: Any, twilio_env: dict[str, str], twilio_fake: FakeTwilio,
                 tmp_path: Path) -> AsyncIterator[TwilioHarness]:
    """The connector mounted the way ``atende serve`` mounts it, driven through its FastAPI routes."""
    ctx = ConnectorContext(inbox=twilio_intake, data_dir=tmp_path, public_url=None,
                           max_attachment_bytes=64 * 1024)
    mounted = mount(ctx, twilio_env)
    assert mounted is not None and mounted.stop is not None
    assert mounted.outbound is not None
    mounted.outbound.retry_base_delay = 0.01  # type: ignore[attr-defined]
    twilio_intake.outbound = mounted.outbound
    transport = httpx.ASGITransport(app=make_app(mounted))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        harness = TwilioHarness(mounted, client, twilio_fake, twilio_intake)
        try:
            yield harness
        finally:
            await mounted.stop()
