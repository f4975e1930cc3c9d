"""The Twilio connector inside the real product: atende.runtime (engine, ticket store, notifier) and the HTTP
app of ``atende serve``, with the keyword stand-ins instead of the ML models so it stays fast.

The other test modules use the scripted intake (their assertions need known replies); these check that the
connector and the real engine understand each other: tickets opened by WhatsApp, SMS and phone, agent replies
pushed back, the 24-hour window reported to the agent.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.connectors.twilio.fake_twilio import FakeTwilio
from tests.connectors.twilio.harness import (
    CALLER,
    PUBLIC_URL,
    SMS_FROM,
    USER,
    TwilioHarness,
    TwiML,
    call_params,
    message_params,
)

pytest.importorskip("atende.runtime")

REF = re.compile(r"INC-\d{6}")
TOKEN = "agent-token-" + "x" * 20
ROUTE = "/webhooks/twilio/messaging"
WA_DESK = "whatsapp:+14155238886"


@pytest.fixture
async def twilio_runtime(twilio_env: dict[str, str], twilio_fake: FakeTwilio,
                         tmp_path: Path) -> AsyncIterator[tuple[TwilioHarness, Any]]:
    from atende.app import create_app
    from atende.runtime import build_runtime
    from atende.settings import Settings

    settings = Settings(data_dir=tmp_path, use_keyword_standins=True, public_url=PUBLIC_URL, api_token=TOKEN)
    runtime = build_runtime(settings, env={k: v for k, v in twilio_env.items() if k != "ATENDE_PUBLIC_URL"})
    [mounted] = [m for m in runtime.mounted if m.name == "twilio"]
    mounted.outbound.retry_base_delay = 0.01  # type: ignore[union-attr]
    app = create_app(runtime, manage_runtime=False)
    await runtime.dispatcher.start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL,
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        try:
            yield TwilioHarness(mounted, client, twilio_fake, runtime.dispatcher), runtime
        finally:
            await runtime.stop()
            runtime.close()


async def tickets(h: TwilioHarness) -> list[dict[str, Any]]:
    r = await h.client.get("/api/tickets")
    assert r.status_code == 200, r.text
    return list(r.json()["tickets"])


def pick(body: str) -> str:
    """The number to answer a numbered question with: the first option, except that a knowledge-base
    suggestion is declined ("No, I still need help") so the conversation ends in a ticket."""
    options = re.findall(r"^(\d+)\. (.*)$", body, re.M)
    assert options, body
    declines = [n for n, label in options if re.match(r"(No|Não)\b.*(ayuda|ajuda|help)", label, re.I)]
    return declines[0] if declines else options[0][0]


async def chat_until_ticket(h: TwilioHarness, sender: str, to: str, first: str) -> str:
    """Describe the problem, then answer every numbered question until a reference comes back."""
    address = sender
    text = first
    for n in range(12):
        r = await h.post(ROUTE, message_params(text, sid=f"SM{n:032x}", sender=sender, to=to))
        assert r.status_code == 200
        await h.settle()
        bodies = h.fake.bodies_to(address)
        found = [m.group(0) for b in bodies for m in REF.finditer(b)]
        if found:
            return found[0]
        text = pick(bodies[-1])  # a numbered question awaits an answer
    raise AssertionError(f"no ticket after 12 messages: {h.fake.messages}")


@pytest.mark.parametrize(("sender", "to"), [(f"whatsapp:{USER}", WA_DESK), (USER, SMS_FROM)])
async def test_conversation_with_the_engine_opens_a_ticket(twilio_runtime: tuple[TwilioHarness, Any],
                                                           sender: str, to: str) -> None:
    h, runtime = twilio_runtime
    ref = await chat_until_ticket(h, sender, to, "Mi portátil no enciende desde esta mañana, pantalla negra")
    [ticket] = await tickets(h)
    assert ticket["reference"] == ref
    assert ticket["channel"] == ("whatsapp" if sender.startswith("whatsapp:") else "sms")
    assert ticket["conversation_key"] == f"{ticket['channel']}:{USER}"

    # a replayed delivery changes nothing
    before, stored = len(h.fake.messages), runtime.conv_store.inbox_count()
    r = await h.post(ROUTE, message_params("1", sid=f"SM{1:032x}", sender=sender, to=to))
    await h.settle()
    assert r.status_code == 200 and len(h.fake.messages) == before
    assert runtime.conv_store.inbox_count() == stored


async def test_agent_reply_and_resolution_are_pushed_to_whatsapp(twilio_runtime: tuple[TwilioHarness, Any]
                                                                 ) -> None:
    h, _ = twilio_runtime
    ref = await chat_until_ticket(h, f"whatsapp:{USER}", WA_DESK, "La impresora no imprime nada")
    h.fake.messages.clear()
    r = await h.client.post(f"/api/tickets/{ref}/replies", json={"text": "Reinicia la impresora, por favor."})
    assert r.status_code == 201 and r.json()["delivered"] is True
    [pushed] = h.fake.messages
    assert pushed["To"] == f"whatsapp:{USER}" and "Reinicia la impresora" in pushed["Body"]

    r = await h.client.patch(f"/api/tickets/{ref}", json={"status": "resolved"})
    assert r.status_code == 200, r.text
    csat = h.fake.messages[-1]["Body"]
    assert ref in csat and re.search(r"^1\. ", csat, re.M)  # the CSAT question as a numbered list


async def test_push_outside_the_window_is_reported_to_the_agent(twilio_runtime: tuple[TwilioHarness, Any]
                                                                ) -> None:
    h, _ = twilio_runtime
    ref = await chat_until_ticket(h, f"whatsapp:{USER}", WA_DESK, "No tengo internet en la oficina")
    from connectors.twilio.state import NAMESPACE

    await h.messaging.ctx.state.set(NAMESPACE, f"whatsapp:{USER}", 0)
    h.fake.messages.clear()
    r = await h.client.post(f"/api/tickets/{ref}/replies", json={"text": "¿Sigue sin funcionar?"})
    assert r.status_code == 201 and r.json()["delivered"] is False
    assert h.fake.messages == []
    events = (await h.client.get(f"/api/tickets/{ref}")).json()["events"]
    failed = [e for e in events if e["kind"] == "notification_failed"]
    assert failed and "outside the 24-hour window" in str(failed[-1])


async def test_forged_webhook_leaves_no_trace_in_the_product(twilio_runtime: tuple[TwilioHarness, Any]
                                                              ) -> None:
    h, runtime = twilio_runtime
    r = await h.post(ROUTE, message_params("hola", sid="SM" + "1" * 32), signature="forged")
    assert r.status_code == 403
    assert runtime.conv_store.inbox_count() == 0
    assert await tickets(h) == []


async def test_phone_call_opens_a_ticket_read_back_and_sent_by_sms(twilio_runtime: tuple[TwilioHarness, Any]
                                                                   ) -> None:
    h, _ = twilio_runtime
    call = "CA" + "c" * 32
    twiml = TwiML.parse(await h.post("/webhooks/twilio/voice", call_params(call)))
    twiml = TwiML.parse(await h.post(twiml.action(), call_params(call, Digits="2")))  # Português
    said: dict[str, str] = {"SpeechResult": "Meu notebook não liga desde ontem, a tela fica preta"}
    for _ in range(10):
        twiml = TwiML.parse(await h.post(twiml.action(), call_params(call, **said)))
        if twiml.hangs_up():
            break
        ids = parse_qs(urlsplit(twiml.action()).query).get("opts", [""])[0].split(",")
        said = {"Digits": str(ids.index("kb:no") + 1) if "kb:no" in ids else "1"}
    await h.settle()
    [ticket] = await tickets(h)
    spelled = " ".join(ticket["reference"].split("-")[0]) + ", " + " ".join(ticket["reference"].split("-")[1])
    assert spelled in twiml.spoken()
    assert ticket["channel"] == "voice" and ticket["conversation_key"] == f"voice:{CALLER}"
    assert [(m["To"], m["From"]) for m in h.fake.messages] == [(CALLER, SMS_FROM)]
    assert ticket["reference"] in h.fake.messages[0]["Body"]


async def test_voicemail_after_silences_files_the_report_with_the_recording(
        twilio_runtime: tuple[TwilioHarness, Any]) -> None:
    h, _ = twilio_runtime
    call = "CA" + "d" * 32
    twiml = TwiML.parse(await h.post("/webhooks/twilio/voice", call_params(call)))
    twiml = TwiML.parse(await h.post(twiml.action(), call_params(call, Digits="3")))  # English
    twiml = TwiML.parse(await h.post(twiml.action(), call_params(
        call, SpeechResult="My laptop screen stays black since this morning")))
    twiml = TwiML.parse(await h.post(twiml.action(), call_params(call)))  # silence: asked again
    offer = TwiML.parse(await h.post(twiml.action(), call_params(call)))  # silence: record instead
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "5" * 32
    done = TwiML.parse(await h.post(offer.record_action(), call_params(
        call, RecordingUrl=recording, RecordingSid="RE" + "5" * 32, RecordingDuration="12")))
    await h.settle()
    [ticket] = await tickets(h)
    assert ticket["description"] == "My laptop screen stays black since this morning"
    assert ticket["needs_human"] is True  # someone has to listen to it
    assert [a["url"] for a in ticket["attachments"]] == [recording]
    assert done.says()[0] == "Your message was recorded."
    assert "I N C, 0 0 0 0 0 1" in done.spoken() and done.hangs_up()


async def test_status_on_whatsapp_lists_the_ticket_opened_by_email(twilio_runtime: tuple[TwilioHarness, Any],
                                                                   tmp_path: Path) -> None:
    """Identities link by verified contact data: the directory says the e-mail and phone are one person."""
    from atende.cli.people import import_directory
    from connectors.email.parse import parse

    h, runtime = twilio_runtime
    directory = tmp_path / "people.csv"
    directory.write_text(f"email,phone,name\nana@example.test,{USER},Ana\n,not-a-phone,Bad\n")
    count, problems = import_directory(runtime.tickets, directory)
    assert count == 1 and len(problems) == 1 and "line 3" in problems[0]

    raw = (b"From: Ana <ana@example.test>\r\nTo: desk@example.test\r\nSubject: VPN\r\n"
           b"Message-ID: <m1@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"No puedo conectarme a la VPN desde esta manana, sale el error 809.\r\n")
    mail = parse(raw, "desk@example.test", verified=True)  # as the desk does after DKIM/SPF
    assert mail is not None and mail.sender.email == "ana@example.test"
    answered = await runtime.inbox.ask(mail, 30)
    replies = answered.replies if answered else []
    for _ in range(12):  # answer the e-mail questions until the ticket is filed
        if any(r.ticket for r in replies):
            break
        ids = [o.id for r in replies for o in r.options]
        choice = "kb:no" if "kb:no" in ids else ids[0]
        answer = replace(mail, text="", option_id=choice, provider_message_id=None)
        answered = await runtime.inbox.ask(answer, 30)
        replies = answered.replies if answered else []
    ref = next(r.ticket for r in replies if r.ticket)

    h.fake.messages.clear()
    status = message_params("status", sid="SM" + "7" * 32, sender=f"whatsapp:{USER}", to=WA_DESK)
    r = await h.post(ROUTE, status)
    assert r.status_code == 200
    await h.settle()
    assert any(ref in b for b in h.fake.bodies_to(f"whatsapp:{USER}"))
