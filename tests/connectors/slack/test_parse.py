"""Pure parsing and rendering on recorded Slack payloads (tests/fixtures/slack)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.slack.parse import (
    MalformedPayload,
    address_from_key,
    decode_text,
    parse_command,
    parse_event,
    parse_interaction,
)
from connectors.slack.render import answered, render
from dialog.messages import Option, Reply

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slack"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def test_direct_message() -> None:
    msg = parse_event(load("event_dm"))
    assert msg is not None
    assert msg.channel == "slack"
    assert msg.text == "My laptop can't reach the VPN (https://vpn.example.com) & Outlook <3"
    assert msg.conversation_key == "slack:D0ANA"  # top-level DM: answered top-level
    assert msg.idempotency_key == "slack:D0ANA/Ev0DM00001"
    assert msg.sender.native_id == "U0ANA" and msg.sender.email is None
    assert msg.extras["slack_team"] == "T0TEAM"
    assert msg.received_at.timestamp() == pytest.approx(1764190000.0001)


def test_direct_message_in_a_thread_stays_in_the_thread() -> None:
    msg = parse_event(load("event_dm_thread"))
    assert msg is not None
    assert msg.conversation_key == "slack:D0ANA:1764190000.000100"
    assert address_from_key(msg.conversation_key) == ("D0ANA", "1764190000.000100")


def test_app_mention_is_answered_in_its_thread_without_our_mention() -> None:
    msg = parse_event(load("event_app_mention"))
    assert msg is not None
    assert msg.text == "the printer on floor 3 jams, cc @U0BOB #it-help"
    assert msg.conversation_key == "slack:C0IT:1764190100.000200"


@pytest.mark.parametrize("name", ["event_channel_message", "event_bot_message", "event_own_message",
                                  "event_message_changed"])
def test_events_that_are_not_for_the_intake(name: str) -> None:
    assert parse_event(load(name)) is None


def test_own_messages_are_ignored_even_without_bot_id() -> None:
    envelope = load("event_own_message")
    del envelope["event"]["bot_id"]
    del envelope["authorizations"]
    assert parse_event(envelope, bot_user_id="UBOT01") is None
    assert parse_event(envelope) is not None  # not knowing who we are, it would look like a user


def test_files_are_listed_and_external_ones_skipped() -> None:
    msg = parse_event(load("event_dm_files"))
    assert msg is not None and msg.text == "screenshot of the error"
    (att,) = msg.attachments
    assert (att.name, att.content_type, att.size, att.path) == ("error screen.png", "image/png", 2048, None)
    (ref,) = msg.extras["slack_files"]
    assert ref["url"].endswith("/download/error_screen.png")


@pytest.mark.parametrize("envelope", [
    [], {"type": "event_callback"}, {"event_id": "Ev1", "event": "x"},
    {"event_id": "Ev1", "event": {"type": "message", "channel_type": "im", "user": "U1", "text": "x"}},
    {"event_id": 5, "event": {}},
])
def test_malformed_envelopes(envelope: Any) -> None:
    with pytest.raises(MalformedPayload):
        parse_event(envelope)


def test_button_press_carries_the_option_id() -> None:
    msg = parse_interaction(load("block_actions"))
    assert msg is not None
    assert msg.option_id == "impact.team" and msg.text == "My team"
    assert msg.conversation_key == "slack:D0ANA"
    assert msg.provider_message_id == "action:1764190300.1111.abcdef"


def test_button_press_in_a_thread_continues_that_thread() -> None:
    payload = load("block_actions")
    payload["message"]["thread_ts"] = "1764190100.000200"
    payload["channel"]["id"] = "C0IT"
    msg = parse_interaction(payload)
    assert msg is not None and msg.conversation_key == "slack:C0IT:1764190100.000200"


def test_foreign_buttons_and_other_interactions_are_ignored() -> None:
    payload = load("block_actions")
    payload["actions"][0]["action_id"] = "someone_elses_button"
    assert parse_interaction(payload) is None
    assert parse_interaction({"type": "view_submission"}) is None
    with pytest.raises(MalformedPayload):
        parse_interaction("x")


def test_command() -> None:
    form = load("command_ticket")
    msg = parse_command(form, "D0ANA")
    assert msg.text == "the wifi in room 4 is down"
    assert msg.conversation_key == "slack:D0ANA"
    assert msg.extras["slack_command"] == "/ticket" and msg.extras["slack_invoked_in"] == "C0IT"
    assert msg.provider_message_id == "command:1764190400.3333.fedcba"


def test_decode_text() -> None:
    assert decode_text("<@UBOT> hi <mailto:a@b.com|a@b.com> <!here> x", "UBOT") == "hi a@b.com @here x"


def test_bad_keys() -> None:
    for key in ("telegram:1", "slack:", "slack:C1:2:3"):
        with pytest.raises(ValueError):
            address_from_key(key)


# ----------------------------------------------------------------------------------------------- render


def test_options_become_block_kit_buttons_with_option_ids() -> None:
    (msg,) = render([Reply("Who is affected?", options=(Option("impact.individual", "Only me"),
                                                         Option("impact.team", "My team")))])
    assert msg["text"] == "Who is affected?"
    section, actions = msg["blocks"]
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": "Who is affected?"}}
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in actions["elements"]] == [
        ("atende_option_0", "impact.individual", "Only me"), ("atende_option_1", "impact.team", "My team")]


def test_text_is_escaped_so_replies_cannot_ping_or_link() -> None:
    (msg,) = render([Reply("<!channel> & <https://evil|click>")])
    assert msg["text"] == "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;"


def test_many_options_and_long_text_respect_block_limits() -> None:
    options = tuple(Option(f"o{i}", f"Option {i}" * 20) for i in range(30))
    (msg,) = render([Reply("line\n" * 1500, options=options)])
    sections = [b for b in msg["blocks"] if b["type"] == "section"]
    actions = [b for b in msg["blocks"] if b["type"] == "actions"]
    assert len(sections) >= 3 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert [len(a["elements"]) for a in actions] == [25, 5]
    assert all(len(e["text"]["text"]) <= 75 for a in actions for e in a["elements"])
    assert len({e["action_id"] for a in actions for e in a["elements"]}) == 30


def test_answered_question_loses_its_buttons() -> None:
    blocks = load("block_actions")["message"]["blocks"]
    out = answered(blocks, "My team")
    assert [b["type"] for b in out] == ["section", "context"]
    assert out[-1]["elements"][0]["text"] == "→ *My team*"
