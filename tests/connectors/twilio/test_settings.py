"""The channel is on with its settings, off without them, and a half-configured one names what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import ConfigError, ConnectorContext
from connectors.twilio import mount
from connectors.twilio.settings import load_settings
from tests.connectors.twilio.scripted_intake import TwilioScriptedIntake

SID = "AC" + "a" * 32
TOKEN = "b" * 32
BASE = {"ATENDE_PUBLIC_URL": "https://desk.example.org/", "ATENDE_TWILIO_ACCOUNT_SID": SID,
        "ATENDE_TWILIO_AUTH_TOKEN": TOKEN}


def test_off_without_twilio_variables(tmp_path: Path) -> None:
    ctx = ConnectorContext(TwilioScriptedIntake(), tmp_path, "https://desk.example.org")
    assert mount(ctx, {"ATENDE_PUBLIC_URL": "https://desk.example.org", "ATENDE_TELEGRAM_TOKEN": "x"}) is None


def test_defaults_and_normalisation() -> None:
    s = load_settings(BASE | {"ATENDE_TWILIO_WHATSAPP_FROM": "+14155238886"})
    assert s is not None
    assert s.public_url == "https://desk.example.org"
    assert s.twilio_api_base == "https://api.twilio.com"
    assert s.twilio_whatsapp_from == "whatsapp:+14155238886"
    assert s.twilio_sms_from is None and s.twilio_whatsapp_template_sid is None


def test_context_public_url_wins() -> None:
    s = load_settings(BASE, public_url="https://proxy.example.org")
    assert s is not None and s.public_url == "https://proxy.example.org"


@pytest.mark.parametrize(("env", "named"), [
    ({"ATENDE_TWILIO_ACCOUNT_SID": SID}, "ATENDE_TWILIO_AUTH_TOKEN"),
    ({"ATENDE_TWILIO_AUTH_TOKEN": TOKEN}, "ATENDE_TWILIO_ACCOUNT_SID"),
    ({"ATENDE_TWILIO_SMS_FROM": "+15005550006"}, "ATENDE_TWILIO_ACCOUNT_SID"),
    ({"ATENDE_TWILIO_ACCOUNT_SID": SID, "ATENDE_TWILIO_AUTH_TOKEN": TOKEN}, "ATENDE_PUBLIC_URL"),
    (BASE | {"ATENDE_TWILIO_ACCOUNT_SID": "AC123"}, "ATENDE_TWILIO_ACCOUNT_SID"),
    (BASE | {"ATENDE_TWILIO_SMS_FROM": "5550006"}, "ATENDE_TWILIO_SMS_FROM"),
    (BASE | {"ATENDE_TWILIO_WHATSAPP_FROM": "whatsapp:14155238886"}, "ATENDE_TWILIO_WHATSAPP_FROM"),
    (BASE | {"ATENDE_TWILIO_WHATSAPP_TEMPLATE_SID": "template-1"}, "ATENDE_TWILIO_WHATSAPP_TEMPLATE_SID"),
    (BASE | {"ATENDE_TWILIO_API_BASE": "api.twilio.com"}, "ATENDE_TWILIO_API_BASE"),
])
def test_half_configured_names_the_variable(env: dict[str, str], named: str, tmp_path: Path) -> None:
    ctx = ConnectorContext(TwilioScriptedIntake(), tmp_path, None)
    with pytest.raises(ConfigError, match=named) as info:
        mount(ctx, env)
    assert TOKEN not in str(info.value)


def test_messaging_service_sid_is_a_valid_sms_sender() -> None:
    s = load_settings(BASE | {"ATENDE_TWILIO_SMS_FROM": "MG" + "c" * 32})
    assert s is not None and s.twilio_sms_from == "MG" + "c" * 32
