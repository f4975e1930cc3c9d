"""WhatsApp and SMS end to end: signed webhooks in, the real twilio SDK out to the local fake API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dialog.messages import InboundMessage, Reply
from tests.connectors.twilio.harness import SMS_FROM, USER, WHATSAPP_FROM, TwilioHarness, message_params

ROUTE = "/webhooks/twilio/messaging"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def sid(n: int) -> str:
    return f"SM{n:032x}"


@pytest.mark.parametrize(("sender", "to", "reply_to", "reply_from"), [
    (f"whatsapp:{USER}", WHATSAPP_FROM, f"whatsapp:{USER}", WHATSAPP_FROM),
    (USER, SMS_FROM, USER, SMS_FROM),
])
async def test_full_conversation_ends_in_a_ticket(twilio: TwilioHarness, sender: str, to: str, reply_to: str,
                                                  reply_from: str) -> None:
    r = await twilio.post(ROUTE, message_params("My laptop does not boot", sid=sid(1), sender=sender, to=to))
    assert r.status_code == 200 and r.text == EMPTY_TWIML  # answered at once, replies go out by REST
    await twilio.settle()
    assert twilio.fake.bodies_to(reply_to) == [
        "Thanks, I got it.", "Who is affected?\n1. Just me\n2. My team\n3. Whole company"]
    assert {m["From"] for m in twilio.fake.messages} == {reply_from}

    r = await twilio.post(ROUTE, message_params("2", sid=sid(2), sender=sender, to=to))
    assert r.status_code == 200
    await twilio.settle()

    [ticket] = twilio.intake.tickets
    assert (ticket.description, ticket.impact, ticket.phone) == ("My laptop does not boot", "team", USER)
    assert twilio.intake.received[1].text.strip() == "2"  # the typed number goes to the engine as text
    assert twilio.intake.tickets[0].impact == "team"  # ... which resolves it against its pending options
    assert twilio.fake.bodies_to(reply_to)[-1] == f"Ticket {ticket.reference} created."
    assert twilio.intake.failures == []


async def test_options_answered_by_words(twilio: TwilioHarness) -> None:
    await twilio.post(ROUTE, message_params("printer jammed", sid=sid(1)))
    await twilio.settle()
    await twilio.post(ROUTE, message_params("the whole company", sid=sid(2)))
    await twilio.settle()
    assert twilio.intake.received[1].option_id is None  # words go to the engine, which matches labels
    assert twilio.intake.tickets[0].impact == "organization"


async def test_forged_requests_are_refused_and_leave_nothing(twilio: TwilioHarness) -> None:
    params = message_params("hello", sid=sid(1))
    forged = [
        await twilio.post(ROUTE, params, signature=""),  # no header
        await twilio.post(ROUTE, params, signature=twilio.sign(f"https://atende.example.test{ROUTE}", params,
                                                                token="f" * 32)),  # wrong token
        await twilio.post(ROUTE, params, signed_url=f"https://evil.example{ROUTE}"),  # signed for another URL
    ]
    signature = twilio.sign(f"https://atende.example.test{ROUTE}", params)
    forged.append(await twilio.post(ROUTE, params | {"Body": "tampered"}, signature=signature))
    assert [r.status_code for r in forged] == [403, 403, 403, 403]
    await twilio.settle()
    assert twilio.intake.received == [] and twilio.fake.messages == []
    assert not any(Path(twilio.messaging.ctx.data_dir).rglob("*.jpeg"))


async def test_replayed_delivery_is_a_no_op(twilio: TwilioHarness) -> None:
    params = message_params("VPN is down", sid=sid(7))
    first = await twilio.post(ROUTE, params)
    await twilio.settle()
    again = await twilio.post(ROUTE, params)
    await twilio.settle()
    assert first.status_code == again.status_code == 200
    assert len(twilio.intake.received) == 1 and len(twilio.intake.processed) == 1
    assert len(twilio.fake.messages) == 2  # the two replies of the first delivery only


@pytest.mark.parametrize("change", [{"From": ""}, {"MessageSid": "", "SmsMessageSid": ""}, {"NumMedia": "x"}])
async def test_malformed_payload_gets_400_and_nothing_stored(twilio: TwilioHarness,
                                                             change: dict[str, str]) -> None:
    r = await twilio.post(ROUTE, message_params("hi", sid=sid(1)) | change)
    assert r.status_code == 400
    await twilio.settle()
    assert twilio.intake.received == [] and twilio.fake.messages == []


async def test_non_form_body_is_refused(twilio: TwilioHarness) -> None:
    r = await twilio.client.post(ROUTE, json={"MessageSid": sid(1)}, headers={"X-Twilio-Signature": "x"})
    assert r.status_code == 403
    assert twilio.intake.received == []


async def test_status_callback_is_acknowledged_and_ignored(twilio: TwilioHarness) -> None:
    params = message_params("", sid=sid(3), SmsStatus="delivered", MessageStatus="delivered")
    r = await twilio.post(ROUTE, params)
    assert r.status_code == 200 and twilio.intake.received == []


async def test_media_is_downloaded_with_basic_auth_under_the_cap(twilio: TwilioHarness) -> None:
    twilio.fake.media["ME1"] = (b"\xff\xd8jpeg-bytes", "image/jpeg")
    twilio.fake.media["ME2"] = (b"x" * (64 * 1024 + 1), "application/pdf")  # over the 64 KiB test cap
    params = message_params("screenshot attached", sid=sid(4), NumMedia="2",
                            MediaUrl0=twilio.fake.media_url("ME1"), MediaContentType0="image/jpeg",
                            MediaUrl1=twilio.fake.media_url("ME2"), MediaContentType1="application/pdf")
    assert (await twilio.post(ROUTE, params)).status_code == 200
    await twilio.settle()
    [msg] = twilio.intake.received
    photo, pdf = msg.attachments
    assert photo.path is not None and Path(photo.path).read_bytes() == b"\xff\xd8jpeg-bytes"
    assert Path(photo.path).parent == twilio.messaging.ctx.data_dir / "attachments" / "whatsapp"
    assert (photo.content_type, photo.size) == ("image/jpeg", 12)
    assert pdf.path is None and pdf.size > 64 * 1024
    assert msg.extras["attachments_too_large"] == [f"{sid(4)}-1"]
    assert not list((twilio.messaging.ctx.data_dir / "attachments" / "whatsapp").glob("*.part"))
    assert twilio.fake.media_auth_failures == 0
    assert twilio.intake.drafts["whatsapp:" + USER]["attachments"] == msg.attachments


async def test_media_that_cannot_be_fetched_keeps_the_message(twilio: TwilioHarness) -> None:
    params = message_params("see photo", sid=sid(5), NumMedia="1", MediaUrl0=twilio.fake.media_url("missing"),
                            MediaContentType0="image/png")
    assert (await twilio.post(ROUTE, params)).status_code == 200
    [msg] = twilio.intake.received
    assert msg.attachments[0].path is None and msg.attachments[0].url == twilio.fake.media_url("missing")
    assert msg.extras["attachments_failed"] == [f"{sid(5)}-0"]


async def test_status_on_whatsapp_finds_the_ticket_opened_by_sms(twilio: TwilioHarness) -> None:
    await twilio.post(ROUTE, message_params("mail is down", sid=sid(1), sender=USER, to=SMS_FROM))
    await twilio.settle()
    await twilio.post(ROUTE, message_params("1", sid=sid(2), sender=USER, to=SMS_FROM))
    await twilio.settle()
    await twilio.post(ROUTE, message_params("status", sid=sid(3)))
    await twilio.settle()
    ref = twilio.intake.tickets[0].reference
    assert twilio.intake.received[-1].sender.phone == twilio.intake.received[0].sender.phone == USER
    assert twilio.fake.bodies_to(f"whatsapp:{USER}")[-1] == f"{ref}: open"


async def test_failed_delivery_is_reported_to_the_intake(twilio: TwilioHarness) -> None:
    twilio.fake.failures = [(400, {}, 63016)] * 2  # outside the window / not opted in: not retryable
    await twilio.post(ROUTE, message_params("hello", sid=sid(1)))
    await twilio.settle()
    [(channel, address, error)] = twilio.intake.failures
    assert (channel, address, error.retryable, error.status) == ("whatsapp", USER, False, 400)
    assert len(twilio.fake.attempts) == 1  # the first reply failed, so the batch stopped


async def test_replies_keep_the_order_of_the_messages(twilio: TwilioHarness,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    async def slow_first(message: InboundMessage) -> list[Reply]:
        if message.text == "first":
            await asyncio.sleep(0.1)
            return [Reply("reply to first")]
        return [Reply("reply to second")]

    monkeypatch.setattr(twilio.intake, "process", slow_first)
    await twilio.post(ROUTE, message_params("first", sid=sid(1)))
    await twilio.post(ROUTE, message_params("second", sid=sid(2)))
    await twilio.settle()
    assert twilio.fake.bodies_to(f"whatsapp:{USER}") == ["reply to first", "reply to second"]
