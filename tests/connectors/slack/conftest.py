"""Slack test fixtures: the fake Web API on a free local port, and the connector mounted in a FastAPI app
driven through httpx (ASGI transport). Requests are signed with slack_sdk's own SignatureVerifier."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from slack_sdk.signature import SignatureVerifier

from connectors.base import ConnectorContext
from connectors.slack import mount
from tests.connectors.harness import MountedHarness
from tests.connectors.slack.fake_slack import BOT_TOKEN, FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CAP = 64 * 1024
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def slack_env(fake: FakeSlack) -> dict[str, str]:
    return {"ATENDE_SLACK_BOT_TOKEN": BOT_TOKEN, "ATENDE_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "ATENDE_SLACK_API_BASE": fake.base_url + "/api/"}


def signed_headers(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}


@dataclass
class SlackHarness(MountedHarness):
    fake: FakeSlack

    async def event(self, envelope: Any, *, headers: dict[str, str] | None = None,
                    raw: bytes | None = None) -> httpx.Response:
        body = raw if raw is not None else json.dumps(envelope).encode()
        return await self.http.post("/webhooks/slack/events", content=body,
                                    headers=headers if headers is not None else signed_headers(body))

    async def interaction(self, payload: Any) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.http.post("/webhooks/slack/interactions", content=body,
                                    headers=signed_headers(body, content_type=FORM))

    async def command(self, form: dict[str, str]) -> httpx.Response:
        body = urlencode(form).encode()
        return await self.http.post("/webhooks/slack/commands", content=body,
                                    headers=signed_headers(body, content_type=FORM))


@pytest.fixture
async def slack_harness(slack_fake: FakeSlack, slack_intake: Any,
                        tmp_path: Path) -> AsyncIterator[SlackHarness]:
    ctx = ConnectorContext(inbox=slack_intake, data_dir=tmp_path, public_url=None, max_attachment_bytes=CAP)
    mounted = mount(ctx, slack_env(slack_fake))
    assert mounted is not None and mounted.router is not None
    assert mounted.start is not None and mounted.stop is not None
    mounted.outbound.retry_base_delay = 0.01  # type: ignore[union-attr]
    slack_intake.outbound = mounted.outbound
    await mounted.start()
    app = FastAPI()
    app.include_router(mounted.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield SlackHarness(slack_fake, slack_intake, mounted, http, tmp_path)
    await mounted.stop()
