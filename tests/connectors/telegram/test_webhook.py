"""The Telegram channel end to end: webhook -> intake -> replies through aiogram to the fake Bot API."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ChannelError
from dialog.messages import Option, Reply
from tests.connectors.telegram.conftest import CAP, TelegramHarness
from tests.connectors.telegram.fake_telegram import BOT_ID

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telegram"


def load(name: str, update_id: int | None = None) -> dict[str, Any]:
    update = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    if update_id is not None:
        update["update_id"] = update_id
    return update


def press(update_id: int, data: str, message: dict[str, Any]) -> dict[str, Any]:
    """The callback query Telegram sends when the user presses a button of ``message`` (what we sent)."""
    return {"update_id": update_id, "callback_query": {
        "id": f"cb-{update_id}", "chat_instance": "ci", "data": data,
        "from": {"id": 111, "is_bot": False, "first_name": "Ana", "language_code": "pt-br"},
        "message": {"message_id": 1001, "date": int(time.time()),
                    "chat": {"id": message["chat_id"], "type": "private"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Atende"},
                    "text": message["text"], "reply_markup": message["reply_markup"]}}}


async def test_full_conversation_ends_in_a_ticket(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    r = await h.post(load("private_text"))
    assert r.status_code == 200
    await h.settle()
    sent = h.fake.sent()
    assert [m["text"] for m in sent] == ["Thanks, I got it.", "Who is affected?"]
    assert all(m["chat_id"] == 111 for m in sent)
    keyboard = sent[1]["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in keyboard for b in row] == ["impact.individual", "impact.team"]

    r = await h.post(press(900100, "impact.team", sent[1]))
    assert r.status_code == 200
    await h.settle()
    assert h.fake.sent("answerCallbackQuery") == [{"callback_query_id": "cb-900100"}]
    (ticket,) = h.intake.tickets
    assert ticket["impact"] == "impact.team"
    assert ticket["description"] == "A impressora do 3º andar não imprime"
    assert ticket["conversation_key"] == "telegram:111"
    assert h.fake.sent()[-1]["text"] == "Ticket INC-000001 created."
    assert h.intake.processed[-1].text == "My team"  # the button's label, for the transcript


async def test_forged_requests_are_refused_and_leave_nothing(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    for secret in (None, "", "wrong-secret-token-123", "s3cr3t-token_for-tests "):
        r = await h.post(load("private_text"), secret=secret)
        assert r.status_code == 401
    await h.settle()
    assert h.intake.received == []
    assert h.fake.calls == []


async def test_a_replayed_update_is_a_no_op(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    first = await h.post(load("private_text"))
    again = await h.post(load("private_text"))
    assert first.status_code == again.status_code == 200
    assert again.json().get("duplicate") is True
    await h.settle()
    assert len(h.intake.received) == 1 and len(h.intake.processed) == 1
    assert len(h.fake.sent()) == 2


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'{"update_id": "7"}', "\xff".encode("latin-1"),
                                 b'{"update_id": 7, "message": {"chat": {"type": "private"}}}'])
async def test_malformed_payloads_get_400_and_store_nothing(telegram_harness: TelegramHarness,
                                                            raw: bytes) -> None:
    h = telegram_harness
    r = await h.post(None, raw=raw)
    assert r.status_code == 400
    assert h.intake.received == []


async def test_groups_only_when_mentioned_replies_quote_the_user(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    assert (await h.post(load("group_chatter"))).json().get("ignored") is True
    assert (await h.post(load("group_mention"))).status_code == 200
    await h.settle()
    (msg,) = h.intake.received
    assert msg.text == "🔥🔥 the VPN drops every 5 minutes"
    first = h.fake.sent()[0]
    assert first["chat_id"] == -100200300
    assert first["reply_parameters"]["message_id"] == 13
    assert h.fake.methods().count("getMe") == 1


async def test_photo_is_downloaded_and_stored(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    h.fake.add_file("ph-big", b"\x89PNG fake image bytes", path="photos/file_7.jpg")
    assert (await h.post(load("photo_caption"))).status_code == 200
    await h.settle()
    (msg,) = h.intake.received
    (att,) = msg.attachments
    assert att.path is not None
    stored = Path(att.path)
    assert stored.parent == h.data_dir / "attachments" / "telegram"
    assert stored.read_bytes() == b"\x89PNG fake image bytes"
    assert att.size == len(b"\x89PNG fake image bytes")
    assert "attachments_too_large" not in msg.extras


async def test_oversized_files_are_listed_but_not_stored(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    # declared too large in the update: not even asked for
    doc = load("document")
    doc["message"]["document"]["file_size"] = CAP + 1
    h.fake.add_file("doc-1", b"x")
    # a voice note whose size Telegram does not tell and that turns out too big while streaming
    h.fake.add_file("voice-1", b"v" * (CAP + 10), path="voice/file_9.oga", declared_size=None)
    voice = load("voice")
    del voice["message"]["voice"]["file_size"]
    assert (await h.post(doc)).status_code == 200
    assert (await h.post(voice)).status_code == 200
    await h.settle()
    for msg in h.intake.received:
        (att,) = msg.attachments
        assert att.path is None
        assert msg.extras["attachments_too_large"] == [att.name]
    assert "getFile" not in [m for m, p in h.fake.calls if p.get("file_id") == "doc-1"]
    assert list((h.data_dir / "attachments" / "telegram").iterdir()) == []  # no partial file left


async def test_a_failed_download_keeps_the_message(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    h.fake.fail("getFile", 400, description="Bad Request: invalid file_id")
    assert (await h.post(load("document"))).status_code == 200
    (msg,) = h.intake.received
    assert msg.attachments[0].path is None and msg.extras["attachments_failed"] == ["setup log.txt"]


async def test_agent_reply_is_pushed_through_the_outbound(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    await h.connector.send("telegram:111", [Reply("An agent replied: please restart the router.",
                                                  ticket="INC-000001")], "INC-000001")
    await h.connector.send("telegram:-100200300:111", [Reply("Solved?", options=(Option("yes", "Yes"),))])
    first, second = h.fake.sent()
    assert (first["chat_id"], first["text"]) == (111, "An agent replied: please restart the router.")
    assert second["chat_id"] == -100200300
    assert second["reply_markup"]["inline_keyboard"] == [[{"text": "Yes", "callback_data": "yes"}]]
    with pytest.raises(ChannelError):
        await h.connector.send("whatsapp:+34600000000", [Reply("x")])


async def test_outbound_retries_429_honouring_retry_after(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    h.fake.fail("sendMessage", 429, retry_after=1, description="Too Many Requests: retry after 1")
    started = time.monotonic()
    await h.connector.send("telegram:111", [Reply("hello")])
    assert time.monotonic() - started >= 1.0  # waited what Telegram asked, not the 10 ms backoff
    assert h.fake.methods() == ["sendMessage", "sendMessage"]


async def test_outbound_gives_up_with_a_retryable_error_after_5xx(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    h.fake.fail("sendMessage", 502, times=10, description="Bad Gateway")
    with pytest.raises(ChannelError) as info:
        await h.connector.send("telegram:111", [Reply("hello")])
    assert info.value.retryable
    assert h.fake.methods() == ["sendMessage"] * h.connector.retry_attempts


async def test_blocked_bot_is_not_retried_and_the_failure_recorded(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    h.fake.fail("sendMessage", 403, times=10, description="Forbidden: bot was blocked by the user")
    assert (await h.post(load("private_text"))).status_code == 200
    await h.settle()
    assert h.fake.methods() == ["sendMessage"]  # no retry, and the rest of the replies are not attempted
    ((channel, address, error),) = h.intake.failures
    assert (channel, address, error.retryable, error.status) == ("telegram", "111", False, 403)


async def test_ignored_callback_queries_are_still_answered(telegram_harness: TelegramHarness) -> None:
    h = telegram_harness
    update = copy.deepcopy(load("callback_query"))
    del update["callback_query"]["data"]  # a game button: nothing for the intake
    assert (await h.post(update)).status_code == 200
    await h.settle()
    assert h.fake.sent("answerCallbackQuery") == [{"callback_query_id": "cbq-77"}]
    assert h.intake.received == []
