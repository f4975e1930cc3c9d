"""The phone IVR, call by call: each TwiML answer's action URL is what the next signed request posts to."""

from __future__ import annotations

import pytest

from tests.connectors.twilio.harness import CALLER, SMS_FROM, TwilioHarness, TwiML, call_params

VOICE = "/webhooks/twilio/voice"
CALL_A = "CA" + "a" * 32
CALL_B = "CA" + "b" * 32


async def start_call(twilio: TwilioHarness, call_sid: str = CALL_A, caller: str = CALLER) -> TwiML:
    return TwiML.parse(await twilio.post(VOICE, call_params(call_sid, caller, CallStatus="ringing")))


async def answer(twilio: TwilioHarness, twiml: TwiML, call_sid: str = CALL_A, caller: str = CALLER,
                 **said: str) -> TwiML:
    """Post what the caller did (Digits=..., SpeechResult=..., or nothing) to the <Gather>'s action."""
    return TwiML.parse(await twilio.post(twiml.action(), call_params(call_sid, caller, **said)))


async def test_full_call_ends_in_a_ticket_read_back_and_sent_by_sms(twilio: TwilioHarness) -> None:
    menu = await start_call(twilio)
    assert "For English, press 3 or say English." in menu.says()
    describe = await answer(twilio, menu, Digits="1")
    gather = describe.gather()
    assert gather is not None and gather.attrib["language"] == "es-MX"
    assert gather.attrib["input"] == "dtmf speech"
    assert describe.says() == ["Por favor, describa su problema."]

    question = await answer(twilio, describe, SpeechResult="Mi portátil no enciende", Confidence="0.91")
    assert question.says() == ["Thanks, I got it.", "Who is affected?", "Marque 1 para Just me.",
                               "Marque 2 para My team.", "Marque 3 para Whole company."]
    assert question.gather().attrib["numDigits"] == "1"  # type: ignore[union-attr]

    done = await answer(twilio, question, Digits="2")
    await twilio.settle()
    [ticket] = twilio.intake.tickets
    assert (ticket.description, ticket.impact, ticket.phone) == ("Mi portátil no enciende", "team", CALLER)
    assert "Su número de referencia es: I N C, 0 0 0 1 2 3." in done.spoken()
    assert done.hangs_up()
    assert [(m["To"], m["From"], m["Body"]) for m in twilio.fake.messages] == [
        (CALLER, SMS_FROM, "Mesa de ayuda: su referencia es INC-000123.")]
    first, second = twilio.intake.received
    assert first.provider_message_id == f"{CALL_A}:g1" and second.provider_message_id == f"{CALL_A}:g2"
    assert first.locale_hint == "es-MX" and first.conversation_key == f"voice:{CALLER}"
    assert second.option_id == "team"


async def test_language_chosen_by_speech(twilio: TwilioHarness) -> None:
    describe = await answer(twilio, await start_call(twilio), SpeechResult="Português")
    assert describe.gather().attrib["language"] == "pt-BR"  # type: ignore[union-attr]
    assert describe.says() == ["Por favor, descreva o seu problema."]


async def test_language_menu_repeats_once_then_offers_a_recording(twilio: TwilioHarness) -> None:
    again = await answer(twilio, await start_call(twilio), Digits="7")
    assert "Para español, marque 1 o diga español." in again.says()
    record = await answer(twilio, again)
    assert record.root.find("Record") is not None


async def test_silence_repeats_once_then_a_recording_makes_a_ticket(twilio: TwilioHarness) -> None:
    describe = await answer(twilio, await start_call(twilio), Digits="3")
    question = await answer(twilio, describe, SpeechResult="The printer on floor two is jammed")
    repeated = await answer(twilio, question)  # silence: Twilio posts an empty result
    assert repeated.says()[0] == "Sorry, I did not catch that."
    assert "Who is affected?" in repeated.says() and "Press 2 for My team." in repeated.says()
    offer = await answer(twilio, repeated)  # silence again
    assert "You can leave a message after the tone." in offer.spoken()
    assert len(twilio.intake.received) == 1  # silences are not messages

    recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "1" * 32
    done = TwiML.parse(await twilio.post(offer.record_action(), call_params(
        CALL_A, RecordingUrl=recording, RecordingSid="RE" + "1" * 32, RecordingDuration="9", Digits="#")))
    [ticket] = twilio.intake.tickets
    assert ticket.description == "The printer on floor two is jammed"
    assert [a.url for a in ticket.attachments] == [recording]
    voicemail, escalate = twilio.intake.received[-2:]
    assert voicemail.extras["voicemail"] is True and voicemail.attachments[0].url == recording
    assert escalate.option_id == "cmd:human"  # filed at once, flagged for a person to listen to
    assert done.says()[0] == "Your message was recorded."
    assert "I N C, 0 0 0 1 2 3" in done.spoken() and done.hangs_up()
    assert "Who is affected?" not in done.spoken()  # the caller is hanging up: no more questions


async def test_a_digit_that_names_no_option_is_said_so(twilio: TwilioHarness) -> None:
    describe = await answer(twilio, await start_call(twilio), Digits="3")
    question = await answer(twilio, describe, SpeechResult="Outlook crashes")
    wrong = await answer(twilio, question, Digits="8")
    assert wrong.says()[0] == "That is not one of the options."
    assert "opts=individual%2Cteam%2Corganization" in wrong.action()
    done = await answer(twilio, wrong, Digits="1")
    assert twilio.intake.tickets[0].impact == "individual" and done.hangs_up()


async def test_hang_up_keeps_the_draft_for_the_next_call(twilio: TwilioHarness) -> None:
    describe = await answer(twilio, await start_call(twilio, CALL_A), CALL_A, Digits="3")
    await answer(twilio, describe, CALL_A, SpeechResult="The VPN drops every hour")
    status = await twilio.post(f"{VOICE}/status", call_params(CALL_A, CallStatus="completed"))
    assert status.status_code == 204
    assert twilio.intake.tickets == []

    describe = await answer(twilio, await start_call(twilio, CALL_B), CALL_B, Digits="3")
    done = await answer(twilio, describe, CALL_B, SpeechResult="my team")
    [ticket] = twilio.intake.tickets
    assert (ticket.description, ticket.impact) == ("The VPN drops every hour", "team")
    assert done.hangs_up()


async def test_replayed_gather_returns_the_same_twiml_once(twilio: TwilioHarness) -> None:
    describe = await answer(twilio, await start_call(twilio), Digits="3")
    question = await answer(twilio, describe, SpeechResult="Teams will not start")
    first = await twilio.post(question.action(), call_params(CALL_A, Digits="3"))
    again = await twilio.post(question.action(), call_params(CALL_A, Digits="3"))
    await twilio.settle()
    assert first.status_code == again.status_code == 200
    assert TwiML.parse(first).says() == TwiML.parse(again).says()
    assert len(twilio.intake.tickets) == 1 and len(twilio.intake.processed) == 2
    assert len(twilio.fake.messages) == 1  # the reference SMS went once


@pytest.mark.parametrize("route", ["", "/language?attempt=0", "/gather?lang=en-US&step=1&attempt=0",
                                   "/recording?lang=en-US&step=1", "/status"])
async def test_forged_voice_requests_are_refused(twilio: TwilioHarness, route: str) -> None:
    params = call_params(CALL_A, SpeechResult="hello", Digits="1", RecordingUrl="https://x/RE1")
    r = await twilio.post(VOICE + route, params, signature=twilio.sign("https://x" + VOICE + route, params))
    assert r.status_code == 403
    assert twilio.intake.received == []


async def test_a_tampered_action_query_is_refused(twilio: TwilioHarness) -> None:
    describe = await answer(twilio, await start_call(twilio), Digits="3")
    params = call_params(CALL_A, SpeechResult="hello")
    signature = twilio.sign(describe.action(), params)
    r = await twilio.post(describe.action().replace("step=1", "step=9"), params, signature=signature)
    assert r.status_code == 403 and twilio.intake.received == []


@pytest.mark.parametrize(("route", "change"), [
    ("/gather?lang=en-US&step=1&attempt=0", {"CallSid": ""}),
    ("/gather?lang=en-US&step=1&attempt=0", {"From": "", "Caller": ""}),
    ("/gather?lang=en-US&step=x&attempt=0", {}),
    ("/recording?lang=en-US&step=1", {}),  # no RecordingUrl
])
async def test_malformed_voice_payload_gets_400(twilio: TwilioHarness, route: str,
                                                change: dict[str, str]) -> None:
    r = await twilio.post(VOICE + route, call_params(CALL_A, SpeechResult="hello") | change)
    assert r.status_code == 400
    assert twilio.intake.received == []


async def test_withheld_number_gets_no_sms(twilio: TwilioHarness) -> None:
    menu = await start_call(twilio, caller="anonymous")
    describe = await answer(twilio, menu, caller="anonymous", Digits="3")
    question = await answer(twilio, describe, caller="anonymous", SpeechResult="no internet")
    done = await answer(twilio, question, caller="anonymous", Digits="1")
    await twilio.settle()
    assert "I N C, 0 0 0 1 2 3" in done.spoken()
    assert twilio.fake.messages == []
    assert twilio.intake.tickets[0].phone is None


async def test_engine_failure_offers_a_recording_instead_of_an_error(twilio: TwilioHarness,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    describe = await answer(twilio, await start_call(twilio), Digits="2")

    def broken(message: object) -> None:
        raise RuntimeError("classifier exploded")

    monkeypatch.setattr(twilio.intake, "_script", broken)
    offer = await answer(twilio, describe, SpeechResult="o wifi caiu")
    assert offer.root.find("Record") is not None and "Desculpe, não entendi." in offer.says()
    assert len(twilio.intake.received) == 1  # what the caller said is kept


async def test_a_recording_before_any_description_stays_in_the_draft(twilio: TwilioHarness) -> None:
    again = await answer(twilio, await start_call(twilio), Digits="7")
    offer = await answer(twilio, again)  # no language chosen: the recording is offered in English
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "2" * 32
    done = TwiML.parse(await twilio.post(offer.record_action(), call_params(CALL_A, RecordingUrl=recording)))
    assert done.says() == ["Your message was recorded.", "Thank you for calling. Goodbye."]
    assert twilio.intake.tickets == []
    assert twilio.intake.drafts[f"voice:{CALLER}"]["attachments"][0].url == recording


async def test_a_kb_article_is_read_as_its_summary_and_its_steps_go_by_sms(twilio: TwilioHarness) -> None:
    describe = await answer(twilio, await start_call(twilio), Digits="3")
    offer = await answer(twilio, describe, SpeechResult="I forgot my password", Confidence="0.9")
    spoken = " ".join(offer.says())
    assert "Reset a forgotten password Use the self-service portal; it takes two minutes." in spoken
    assert "Forgot password" not in spoken and "https://" not in spoken  # steps and links are for reading
    await twilio.settle()
    [sms] = twilio.fake.messages
    assert (sms["To"], sms["From"]) == (CALLER, SMS_FROM)
    assert "1. Open the portal and choose Forgot password." in sms["Body"]
    assert sms["Body"].endswith("Open the article: https://desk.example.test/kb/en/password-reset")
