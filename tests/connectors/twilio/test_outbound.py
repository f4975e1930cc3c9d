"""Agent pushes through the Outbound: the 24-hour WhatsApp window, templates, retries, error translation."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from twilio.base.exceptions import TwilioRestException

from connectors.base import ChannelError
from connectors.twilio.client import translate
from dialog.messages import Option, Reply, utcnow
from tests.connectors.twilio.harness import SMS_FROM, USER, WHATSAPP_FROM, TwilioHarness, message_params

TEMPLATE = "HX" + "d" * 32
RESOLVED = [Reply("Your ticket INC-000123 was resolved. Did that fix it?", ticket="INC-000123",
                  options=(Option("csat.yes", "Yes"), Option("csat.no", "No")), kind="csat")]


async def _user_wrote(twilio: TwilioHarness) -> None:
    await twilio.post("/webhooks/twilio/messaging", message_params("hello", sid="SM" + "e" * 32))
    await twilio.settle()
    twilio.fake.messages.clear()


async def test_agent_reply_within_the_window_is_sent_with_numbered_options(twilio: TwilioHarness) -> None:
    await _user_wrote(twilio)
    await twilio.messaging.send(f"whatsapp:{USER}", RESOLVED, ticket="INC-000123")
    [sent] = twilio.fake.messages
    assert (sent["To"], sent["From"]) == (f"whatsapp:{USER}", WHATSAPP_FROM)
    assert sent["Body"] == "Your ticket INC-000123 was resolved. Did that fix it?\n1. Yes\n2. No"
    # the user's "1" reaches the engine as text (it resolves it against its pending CSAT options)
    await twilio.post("/webhooks/twilio/messaging", message_params("1", sid="SM" + "f" * 32))
    assert twilio.intake.received[-1].text.strip() == "1"


async def test_outside_the_window_without_template_the_agent_is_told(twilio: TwilioHarness) -> None:
    with pytest.raises(ChannelError, match="outside the 24-hour window") as info:
        await twilio.messaging.send(f"whatsapp:{USER}", RESOLVED)  # never wrote to us
    assert info.value.retryable is False
    await _user_wrote(twilio)
    await twilio.messaging.state.touch_inbound(f"whatsapp:{USER}", utcnow() - timedelta(hours=25))
    await twilio.messaging.send(f"whatsapp:{USER}", RESOLVED)  # the newer time wins: still inside
    assert len(twilio.fake.messages) == 1
    await _expire(twilio)
    with pytest.raises(ChannelError, match="outside the 24-hour window"):
        await twilio.messaging.send(f"whatsapp:{USER}", RESOLVED)
    assert twilio.fake.messages == []


async def _expire(twilio: TwilioHarness) -> None:
    """Age the user's last inbound message past the 24 hours."""
    twilio.fake.messages.clear()
    from connectors.twilio.state import NAMESPACE

    for key in ("whatsapp:" + USER, "sms:" + USER):
        await twilio.messaging.ctx.state.set(NAMESPACE, key,
                                             (utcnow() - timedelta(hours=24, minutes=1)).timestamp())


async def test_outside_the_window_the_template_is_used(twilio: TwilioHarness) -> None:
    twilio.messaging.settings.twilio_whatsapp_template_sid = TEMPLATE
    await _user_wrote(twilio)
    await _expire(twilio)
    await twilio.messaging.send(f"whatsapp:{USER}", RESOLVED, ticket="INC-000123")
    [sent] = twilio.fake.messages
    assert sent["ContentSid"] == TEMPLATE and "Body" not in sent
    assert json.loads(sent["ContentVariables"]) == {"1": "INC-000123", "2": RESOLVED[0].text}


async def test_sms_and_voice_conversations_are_reached_by_sms(twilio: TwilioHarness) -> None:
    await twilio.messaging.send(f"sms:{USER}", [Reply("An agent is on it.")])
    await twilio.messaging.send("voice:+5511987654321", [Reply("Your ticket was resolved.")])
    assert [(m["To"], m["From"], m["Body"]) for m in twilio.fake.messages] == [
        (USER, SMS_FROM, "An agent is on it."), ("+5511987654321", SMS_FROM, "Your ticket was resolved.")]
    with pytest.raises(ChannelError):
        await twilio.messaging.send("telegram:42", [Reply("x")])


async def test_retries_on_429_and_5xx_honouring_retry_after(twilio: TwilioHarness) -> None:
    twilio.fake.failures = [(429, {"Retry-After": "0.2"}, 20429), (503, {}, 20503)]
    await twilio.messaging.send(f"sms:{USER}", [Reply("hello")])
    assert twilio.fake.bodies_to(USER) == ["hello"]
    first, second, third = twilio.fake.attempts
    assert second - first >= 0.2  # Retry-After honoured (the base delay is 0.01 s in tests)
    assert third - second < 0.2


async def test_persistent_5xx_becomes_a_retryable_channel_error(twilio: TwilioHarness) -> None:
    twilio.fake.failures = [(503, {"Retry-After": "0"}, 20503)] * 4
    with pytest.raises(ChannelError) as info:
        await twilio.messaging.send(f"sms:{USER}", [Reply("hello")])
    assert (info.value.retryable, info.value.status) == (True, 503)
    assert len(twilio.fake.attempts) == 4 and twilio.fake.messages == []


async def test_4xx_is_not_retried(twilio: TwilioHarness) -> None:
    twilio.fake.failures = [(400, {}, 21211)]
    with pytest.raises(ChannelError) as info:
        await twilio.messaging.send(f"sms:{USER}", [Reply("hello")])
    assert (info.value.retryable, info.value.status) == (False, 400)
    assert "21211" in str(info.value)
    assert len(twilio.fake.attempts) == 1


async def test_unreachable_api_is_retryable(twilio: TwilioHarness) -> None:
    await twilio.fake.stop()
    with pytest.raises(ChannelError) as info:
        await twilio.messaging.send(f"sms:{USER}", [Reply("hello")])
    assert info.value.retryable is True


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (500, True), (503, True), (400, False),
                                                   (404, False)])
def test_twilio_exceptions_are_translated_once(status: int, retryable: bool) -> None:
    error = translate(TwilioRestException(status, "https://api.twilio.com/x", "nope", code=20000 + status))
    assert isinstance(error, ChannelError)
    assert (error.status, error.retryable) == (status, retryable)
    assert translate(error) is error
