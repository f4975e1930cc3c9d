"""Telegram on the real runtime (engine with the keyword stand-ins, SQLite ticket store, notifier): a user
reports a problem through the webhook, answers the engine's questions with the inline keyboard until a
ticket exists, and an agent's reply comes back to the chat through the fake Bot API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.connectors.real_runtime import pick, real_runtime
from tests.connectors.telegram.conftest import SECRET, telegram_env
from tests.connectors.telegram.fake_telegram import BOT_ID, FakeTelegram

pytest.importorskip("atende.runtime")


@pytest.fixture
async def telegram_runtime(telegram_fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[Any]:
    async with real_runtime(tmp_path, telegram_env(telegram_fake)) as runtime:
        yield runtime


async def test_real_runtime_conversation_ends_in_a_ticket_and_the_agent_reply_arrives(
        telegram_runtime: Any, telegram_fake: FakeTelegram) -> None:
    runtime = telegram_runtime
    mounted = next(m for m in runtime.mounted if m.name == "telegram")
    app = FastAPI()
    app.include_router(mounted.router)
    user = {"id": 111, "is_bot": False, "first_name": "Ana", "language_code": "en"}
    chat = {"id": 111, "type": "private"}
    update_id = 5000

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:

        async def deliver(update: dict[str, Any]) -> list[dict[str, Any]]:
            before = len(telegram_fake.sent())
            r = await http.post("/webhooks/telegram", json=update,
                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert r.status_code == 200, r.text
            await runtime.dispatcher.join(30)
            return telegram_fake.sent()[before:]

        sent = await deliver({"update_id": update_id, "message": {
            "message_id": 1, "date": int(time.time()), "chat": chat, "from": user,
            "text": "My laptop cannot connect to the VPN since this morning, error 809"}})
        for _ in range(15):
            if runtime.tickets.list_tickets(open_only=False, q=None):
                break
            assert sent, "the engine must always answer"
            last = sent[-1]
            ids = [b["callback_data"] for row in last.get("reply_markup", {}).get("inline_keyboard", [])
                   for b in row]
            update_id += 1
            if ids:
                sent = await deliver({"update_id": update_id, "callback_query": {
                    "id": f"cb{update_id}", "chat_instance": "ci", "data": pick(ids), "from": user,
                    "message": {"message_id": 900 + update_id, "date": int(time.time()), "chat": chat,
                                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Atende"},
                                "text": last["text"], "reply_markup": last["reply_markup"]}}})
            else:
                sent = await deliver({"update_id": update_id, "message": {
                    "message_id": update_id, "date": int(time.time()), "chat": chat, "from": user,
                    "text": "Only me. It started this morning."}})

    (ticket,) = runtime.tickets.list_tickets(open_only=False, q=None)
    assert ticket.channel == "telegram" and ticket.conversation_key == "telegram:111"
    assert any(ticket.reference in m["text"] for m in telegram_fake.sent())  # the user got the reference
    assert telegram_fake.sent("answerCallbackQuery")  # every button press was answered

    before = len(telegram_fake.sent())
    assert await runtime.notifier.agent_reply(ticket, "Please restart the VPN client.", "agent-1")
    pushed = telegram_fake.sent()[before:]
    assert pushed and pushed[0]["chat_id"] == 111
    assert any("restart the VPN client" in m["text"] for m in pushed)
