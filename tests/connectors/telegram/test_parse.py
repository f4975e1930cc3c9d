"""Pure parsing and rendering on recorded Bot API payloads (tests/fixtures/telegram)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.telegram.parse import (
    BotIdentity,
    MalformedUpdate,
    callback_query_id,
    chat_id_from_key,
    needs_bot_identity,
    parse_update,
)
from connectors.telegram.render import MAX_TEXT, render
from dialog.messages import Option, Reply

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telegram"
BOT = BotIdentity(id=4242, username="atende_bot")


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def test_private_text_message() -> None:
    msg = parse_update(load("private_text"), BOT)
    assert msg is not None
    assert msg.channel == "telegram"
    assert msg.conversation_key == "telegram:111"
    assert msg.text == "A impressora do 3º andar não imprime"
    assert msg.provider_message_id == "900001"
    assert msg.idempotency_key == "telegram:111/900001"
    assert msg.sender.native_id == "111" and msg.sender.display_name == "Ana Souza"
    assert msg.sender.phone is None and msg.sender.email is None
    assert msg.locale_hint == "pt-br"
    assert msg.received_at.timestamp() == 1764190000
    assert msg.extras["chat_id"] == 111 and msg.extras["message_id"] == 10


def test_start_command_is_kept_out_of_the_text() -> None:
    msg = parse_update(load("command_start"), BOT)
    assert msg is not None
    assert msg.text == ""
    assert msg.extras["telegram_command"] == "start"


def test_group_small_talk_is_ignored() -> None:
    assert parse_update(load("group_chatter"), BOT) is None


def test_group_mention_is_read_with_utf16_offsets_and_stripped() -> None:
    msg = parse_update(load("group_mention"), BOT)
    assert msg is not None
    assert msg.text == "🔥🔥 the VPN drops every 5 minutes"
    # one conversation per person in a group; the chat id comes first for the Outbound
    assert msg.conversation_key == "telegram:-100200300:111"
    assert chat_id_from_key(msg.conversation_key) == -100200300
    assert msg.extras["chat_title"] == "IT Floor 3"


def test_group_reply_to_the_bot_counts_as_addressed() -> None:
    msg = parse_update(load("group_reply_to_bot"), BOT)
    assert msg is not None and msg.text == "only me"


def test_group_command_addressed_to_the_bot() -> None:
    msg = parse_update(load("group_command_for_bot"), BOT)
    assert msg is not None
    assert msg.extras["telegram_command"] == "status"
    assert msg.text == "status"


def test_group_message_without_bot_identity_is_not_taken() -> None:
    update = load("group_mention")
    assert needs_bot_identity(update)
    assert parse_update(update, None) is None
    assert not needs_bot_identity(load("private_text"))


def test_callback_query_carries_the_option_id_and_its_label() -> None:
    update = load("callback_query")
    msg = parse_update(update, BOT)
    assert msg is not None
    assert msg.option_id == "impact.team"
    assert msg.text == "My team"
    assert msg.conversation_key == "telegram:111"
    assert callback_query_id(update) == "cbq-77"
    assert msg.extras["callback_query_id"] == "cbq-77"


def test_photo_takes_the_largest_size_and_the_caption() -> None:
    msg = parse_update(load("photo_caption"), BOT)
    assert msg is not None
    assert msg.text == "this error appears at login"
    (att,) = msg.attachments
    assert att.content_type == "image/jpeg" and att.size == 48211 and att.path is None
    (ref,) = msg.extras["telegram_files"]
    assert ref["file_id"] == "ph-big"


@pytest.mark.parametrize(("name", "file_name", "ctype"), [
    ("document", "setup log.txt", "text/plain"),
    ("voice", "voice_AwADv.ogg", "audio/ogg"),
])
def test_documents_and_voice_notes(name: str, file_name: str, ctype: str) -> None:
    msg = parse_update(load(name), BOT)
    assert msg is not None and msg.text == ""
    (att,) = msg.attachments
    assert (att.name, att.content_type) == (file_name, ctype)


def test_own_contact_gives_a_verified_phone() -> None:
    msg = parse_update(load("contact_own"), BOT)
    assert msg is not None
    assert msg.sender.phone == "+5511987654321"
    other = load("contact_own")
    other["message"]["contact"]["user_id"] = 999  # someone else's card: not the sender's number
    assert parse_update(other, BOT) is None


@pytest.mark.parametrize("name", ["edited_message", "channel_post", "sticker"])
def test_updates_that_are_not_for_the_intake(name: str) -> None:
    assert parse_update(load(name), BOT) is None


def test_messages_from_bots_are_ignored() -> None:
    update = load("private_text")
    update["message"]["from"]["is_bot"] = True
    assert parse_update(update, BOT) is None


@pytest.mark.parametrize("update", [
    [], "x", {}, {"update_id": "1"}, {"update_id": True},
    {"update_id": 1, "message": "hello"},
    {"update_id": 1, "message": {"chat": {"type": "private"}, "from": {"id": 1}, "text": "x"}},
    {"update_id": 1, "message": {"chat": {"id": 1, "type": "private"}, "from": {"id": "1"}, "text": "x"}},
    {"update_id": 1, "message": {"chat": {"id": 1, "type": "private"}, "from": {"id": 1},
                                 "document": {"file_name": "a"}}},
    {"update_id": 1, "callback_query": {"id": "q", "data": "x"}},
])
def test_malformed_updates_raise(update: Any) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(update, BOT)


def test_bad_conversation_key() -> None:
    with pytest.raises(ValueError):
        chat_id_from_key("slack:C1")


# ----------------------------------------------------------------------------------------------- render


def test_options_become_an_inline_keyboard_with_option_ids() -> None:
    (msg,) = render([Reply("Who is affected?", options=(Option("impact.individual", "Only me"),
                                                         Option("impact.team", "My team")))])
    assert msg["text"] == "Who is affected?"
    assert msg["reply_markup"] == {"inline_keyboard": [
        [{"text": "Only me", "callback_data": "impact.individual"}],
        [{"text": "My team", "callback_data": "impact.team"}]]}


def test_option_ids_over_64_bytes_fall_back_to_the_numbered_list() -> None:
    (msg,) = render([Reply("Pick", options=(Option("x" * 65, "Long"), Option("b", "Short")))])
    assert "reply_markup" not in msg
    assert msg["text"] == "Pick\n1. Long\n2. Short"


def test_long_text_is_split_and_buttons_go_under_the_last_piece() -> None:
    text = "\n".join(f"line {i} " + "x" * 80 for i in range(120))
    msgs = render([Reply(text, options=(Option("a", "A"),))], reply_to_message_id=5)
    assert len(msgs) >= 2
    assert all(len(m["text"]) <= MAX_TEXT for m in msgs)
    assert "reply_markup" in msgs[-1] and all("reply_markup" not in m for m in msgs[:-1])
    assert msgs[0]["reply_parameters"]["message_id"] == 5
    assert "reply_parameters" not in msgs[1]
    assert "\n".join(m["text"] for m in msgs) == text


def test_empty_text_with_options_is_still_sendable() -> None:
    (msg,) = render([Reply("", options=(Option("a", "A"),))])
    assert msg["text"]
