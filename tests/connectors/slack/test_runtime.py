"""Slack on the real runtime (engine with the keyword stand-ins, SQLite ticket store, notifier): a user
reports a problem in a DM, answers with the Block Kit buttons until a ticket exists, and an agent's reply
comes back to the DM through the fake Web API. The user's confirmed Slack e-mail is on the ticket's
requester, so "status" from e-mail or WhatsApp would find it."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from tests.connectors.real_runtime import pick, real_runtime
from tests.connectors.slack.conftest import FORM, signed_headers, slack_env
from tests.connectors.slack.fake_slack import BOT_USER, TEAM, FakeSlack

pytest.importorskip("atende.runtime")


@pytest.fixture
async def slack_runtime(slack_fake: FakeSlack, tmp_path: Path) -> AsyncIterator[Any]:
    async with real_runtime(tmp_path, slack_env(slack_fake)) as runtime:
        yield runtime


async def test_real_runtime_conversation_ends_in_a_ticket_and_the_agent_reply_arrives(
        slack_runtime: Any, slack_fake: FakeSlack) -> None:
    runtime = slack_runtime
    slack_fake.add_user("U0ANA", email="ana@example.com", locale="en-US")
    mounted = next(m for m in runtime.mounted if m.name == "slack")
    app = FastAPI()
    app.include_router(mounted.router)
    n = 0

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:

        async def post(route: str, body: bytes, content_type: str) -> list[dict[str, Any]]:
            before = len(slack_fake.posted())
            r = await http.post(route, content=body, headers=signed_headers(body, content_type=content_type))
            assert r.status_code == 200, r.text
            await runtime.dispatcher.join(30)
            return slack_fake.posted()[before:]

        async def dm(text: str) -> list[dict[str, Any]]:
            nonlocal n
            n += 1
            envelope = {"type": "event_callback", "event_id": f"EvRT{n:04d}", "team_id": TEAM,
                        "authorizations": [{"user_id": BOT_USER, "is_bot": True}],
                        "event": {"type": "message", "channel_type": "im", "channel": "D0ANA",
                                  "user": "U0ANA", "text": text, "ts": f"{time.time():.6f}"}}
            return await post("/webhooks/slack/events", json.dumps(envelope).encode(), "application/json")

        async def press(message: dict[str, Any], value: str) -> list[dict[str, Any]]:
            nonlocal n
            n += 1
            channel = message["channel"]
            payload = {"type": "block_actions", "trigger_id": f"trig{n}", "team": {"id": TEAM},
                       "user": {"id": "U0ANA", "name": "ana"}, "channel": {"id": channel},
                       "container": {"type": "message", "channel_id": channel, "message_ts": "1.1"},
                       "message": {"ts": "1.1", "text": message["text"], "blocks": message["blocks"]},
                       "actions": [{"action_id": "atende_option_0", "value": value,
                                    "action_ts": str(time.time()),
                                    "text": {"type": "plain_text", "text": value}}]}
            return await post("/webhooks/slack/interactions",
                              urlencode({"payload": json.dumps(payload)}).encode(), FORM)

        sent = await dm("My laptop cannot connect to the VPN since this morning, error 809")
        for _ in range(15):
            if runtime.tickets.list_tickets(open_only=False, q=None):
                break
            assert sent, "the engine must always answer"
            last = sent[-1]
            ids = [e["value"] for b in last["blocks"] if b["type"] == "actions" for e in b["elements"]]
            sent = await press(last, pick(ids)) if ids else await dm("Only me. It started this morning.")

    (ticket,) = runtime.tickets.list_tickets(open_only=False, q=None)
    assert ticket.channel == "slack" and ticket.conversation_key == "slack:D0ANA"
    assert any(ticket.reference in p["text"] for p in slack_fake.posted())

    before = len(slack_fake.posted())
    assert await runtime.notifier.agent_reply(ticket, "Please restart the VPN client.", "agent-1")
    pushed = slack_fake.posted()[before:]
    assert pushed and pushed[0]["channel"] == "D0ANA"
    assert any("restart the VPN client" in p["text"] for p in pushed)
