"""Start and stop: the long-polling loop (same intake path as the webhook) and webhook registration."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.base import ConnectorContext
from connectors.telegram import mount
from tests.connectors.telegram.conftest import telegram_env
from tests.connectors.telegram.fake_telegram import FakeTelegram

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telegram"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


async def test_polling_receives_updates_and_survives_api_errors(telegram_fake: FakeTelegram,
                                                               telegram_intake: Any, tmp_path: Path) -> None:
    ctx = ConnectorContext(inbox=telegram_intake, data_dir=tmp_path, public_url=None)
    mounted = mount(ctx, telegram_env(telegram_fake, ATENDE_TELEGRAM_MODE="polling"))
    if mounted is not None and hasattr(telegram_intake, "outbound"):
        telegram_intake.outbound = mounted.outbound
    assert mounted is not None and mounted.start is not None and mounted.stop is not None
    connector: Any = mounted.outbound
    connector.poll_timeout = 1
    telegram_fake.fail("getUpdates", 502, description="Bad Gateway")  # the loop backs off and goes on
    telegram_fake.push_update(load("private_text"))
    await mounted.start()
    try:
        await until(lambda: len(telegram_fake.sent()) == 2)
        methods = telegram_fake.methods()
        # getUpdates is refused (409) while a webhook is set: the loop deletes it first
        assert methods.index("deleteWebhook") < methods.index("getUpdates")
        (msg,) = telegram_intake.received
        assert msg.provider_message_id == "900001"

        telegram_fake.push_update(load("command_start"))
        await until(lambda: len(telegram_intake.received) == 2)
        offsets = [p.get("offset") for m, p in telegram_fake.calls if m == "getUpdates"]
        assert 900002 in offsets  # the first update was confirmed by moving the offset past it
    finally:
        await mounted.stop()
    assert len(telegram_intake.received) == 2  # nothing processed twice


async def test_webhook_mode_registers_the_webhook(telegram_fake: FakeTelegram,
                                                  telegram_intake: Any, tmp_path: Path) -> None:
    ctx = ConnectorContext(inbox=telegram_intake, data_dir=tmp_path, public_url="https://desk.example.com/")
    mounted = mount(ctx, telegram_env(telegram_fake))
    if mounted is not None and hasattr(telegram_intake, "outbound"):
        telegram_intake.outbound = mounted.outbound
    assert mounted is not None and mounted.start is not None and mounted.stop is not None
    await mounted.start()
    await mounted.stop()
    (params,) = telegram_fake.sent("setWebhook")
    assert params["url"] == "https://desk.example.com/webhooks/telegram"
    assert params["secret_token"] == "s3cr3t-token_for-tests"
    assert params["allowed_updates"] == ["message", "callback_query"]
