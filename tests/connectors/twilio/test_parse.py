"""parse.py on recorded Twilio webhook payloads (tests/fixtures/twilio)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.twilio.parse import (
    MalformedPayload,
    media_items,
    parse_messaging,
    parse_voice,
    pick_language,
    spoken_choice,
)
from dialog.messages import Option

FIXTURES = Path(__file__).parents[2] / "fixtures" / "twilio"
IMPACT = (Option("individual", "Just me"), Option("team", "My team"), Option("organization", "Whole company"))


def load(name: str) -> dict[str, str]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def test_whatsapp_text_becomes_a_message_with_a_verified_phone() -> None:
    msg = parse_messaging(load("whatsapp_text"))
    assert msg is not None
    assert msg.channel == "whatsapp"
    assert msg.conversation_key == "whatsapp:+34600111222"
    assert msg.sender.phone == "+34600111222"  # no whatsapp: prefix: links identities across channels
    assert msg.sender.native_id == "+34600111222"
    assert msg.sender.display_name == "Ana Souza"
    assert msg.text == "No puedo entrar en el VPN desde esta mañana"
    assert msg.provider_message_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert msg.idempotency_key == f"{msg.conversation_key}/SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert msg.option_id is None
    assert msg.extras["to"] == "whatsapp:+14155238886"
    json.dumps(dict(msg.extras))  # the intake stores extras as JSON


def test_a_typed_number_stays_text_for_the_engine_to_resolve() -> None:
    msg = parse_messaging(load("sms_text"))
    assert msg is not None
    assert (msg.channel, msg.conversation_key) == ("sms", "sms:+34600111222")
    assert msg.sender.phone == "+34600111222"
    assert msg.option_id is None and msg.text.strip().rstrip(")") == "2"
    assert msg.sender.display_name is None


def test_whatsapp_button_payload_is_the_option_id() -> None:
    msg = parse_messaging(load("whatsapp_button"))
    assert msg is not None and msg.option_id == "kb.solved"


def test_location_goes_to_extras_not_text() -> None:
    msg = parse_messaging(load("whatsapp_location"))
    assert msg is not None and msg.text == ""
    assert msg.extras["location"] == {"latitude": "40.4168", "longitude": "-3.7038",
                                      "address": "Puerta del Sol, Madrid"}


def test_media_items_are_listed() -> None:
    items = media_items(load("whatsapp_media"))
    assert [(i.index, i.content_type) for i in items] == [(0, "image/jpeg")]
    assert items[0].url.endswith("/Media/ME96e6cfe1c8f0b3a0f2c6d1e4b7a8c9d0")


def test_status_callbacks_and_foreign_channels_are_not_messages() -> None:
    assert parse_messaging(load("message_status_callback")) is None
    assert parse_messaging(load("whatsapp_text") | {"From": "messenger:123456"}) is None


@pytest.mark.parametrize("change", [
    {"MessageSid": "", "SmsMessageSid": ""},
    {"MessageSid": "not a sid; drop table", "SmsMessageSid": ""},
    {"From": ""},
    {"From": "whatsapp:0034600"},
    {"NumMedia": "one"},
    {"NumMedia": "1"},  # MediaUrl0 missing
])
def test_malformed_payloads_raise(change: dict[str, str]) -> None:
    with pytest.raises(MalformedPayload):
        parse_messaging(load("whatsapp_text") | change)
        media_items(load("whatsapp_text") | change)


def test_voice_speech_becomes_text_with_the_language() -> None:
    msg = parse_voice(load("voice_gather_speech"), step="g1", language="pt-BR")
    assert msg.channel == "voice"
    assert msg.conversation_key == "voice:+5511987654321"
    assert msg.sender.phone == "+5511987654321"
    assert msg.text == "Meu notebook não liga desde ontem."
    assert msg.locale_hint == "pt-BR"
    assert msg.provider_message_id == "CA5f2c0e1d9b8a7c6d5e4f3a2b1c0d9e8f:g1"
    assert msg.extras["input"] == "speech" and msg.extras["speech_confidence"] == pytest.approx(0.9235)


def test_voice_digit_and_spoken_number_pick_options() -> None:
    ids = ("individual", "team", "organization")
    digits = parse_voice(load("voice_gather_digits"), step="g2", language="es-MX", option_ids=ids)
    assert digits.option_id == "team" and digits.text == ""
    spoken = load("voice_gather_speech") | {"SpeechResult": "Dos."}
    assert parse_voice(spoken, step="g2", language="es-MX", option_ids=ids).option_id == "team"
    words = load("voice_gather_speech") | {"SpeechResult": "mi equipo"}
    msg = parse_voice(words, step="g2", language="es-MX", option_ids=ids)
    assert msg.option_id is None and msg.text == "mi equipo"


def test_withheld_caller_gets_no_phone_and_a_per_call_key() -> None:
    params = load("voice_incoming") | {"From": "anonymous", "Caller": "anonymous"}
    msg = parse_voice(params, step="g1", language="en-US")
    assert msg.sender.phone is None
    assert msg.conversation_key == "voice:anonymous:CA5f2c0e1d9b8a7c6d5e4f3a2b1c0d9e8f"


def test_voice_without_call_sid_is_malformed() -> None:
    with pytest.raises(MalformedPayload):
        parse_voice(load("voice_incoming") | {"CallSid": ""}, step="g1", language="en-US")


@pytest.mark.parametrize(("digits", "speech", "expected"), [
    ("1", "", "es-MX"), ("2", "", "pt-BR"), ("3", "", "en-US"), ("", "Español", "es-MX"),
    ("", "português, por favor", "pt-BR"), ("", "English please", "en-US"), ("", "inglés", "en-US"),
    ("9", "", None), ("", "hmm", None), ("", "", None),
])
def test_language_menu_by_digit_or_speech(digits: str, speech: str, expected: str | None) -> None:
    assert pick_language(digits, speech) == expected


def test_spoken_choice() -> None:
    assert spoken_choice("option 3") == 3
    assert spoken_choice("tres") == 3
    assert spoken_choice("el portátil no enciende cuando lo conecto") is None
