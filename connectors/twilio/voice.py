"""The phone IVR on Twilio Voice: language menu, the problem by speech, options by digit, read-backs.

Each step is a TwiML document whose <Gather>/<Record> posts to the next route. The call's position travels
in the action URL's query (language, step number, attempt, option ids): Twilio signs the full URL, so it is
as trustworthy as the form, and any process can serve the next step. The engine answers inside the HTTP
response (``intake.handle``), since Twilio waits for the TwiML. The conversation key is the caller's
number ("voice:+<caller>"), so a hang-up leaves the engine's draft for the next call from that number.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from urllib.parse import urlencode

from fastapi import HTTPException, Request, Response

from connectors.base import ConnectorContext
from connectors.markdown import to_plain_within
from connectors.twilio import voice_texts as vt
from connectors.twilio.messaging import TwilioMessaging, twiml
from connectors.twilio.parse import MalformedPayload, caller, parse_voice, pick_language
from connectors.twilio.render import MAX_BODY, Prompt, ask, language_menu, record_offer, reply_turn
from connectors.twilio.webhook import SignedForm
from dialog.messages import Attachment, InboundMessage, Option, Reply

log = logging.getLogger(__name__)

BASE = "/webhooks/twilio/voice"
PROMPTS = "voice.prompt"
SMS_SENT = "voice.sms_reference"
HUMAN_OPTION = "cmd:human"  # the engine's "talk to a person" command, accepted at any time


class TwilioVoice:
    def __init__(self, ctx: ConnectorContext, public_url: str, form: SignedForm,
                 messaging: TwilioMessaging) -> None:
        self.ctx = ctx
        self.public_url = public_url.rstrip("/")
        self.form = form
        self.messaging = messaging
        # The last prompt of each call (to repeat it after a silence) lives in the context's key-value
        # state, so a restart or another process repeats the real question, not a generic one.
        self.answer_timeout = 10.0  # Twilio gives up on a webhook after 15 s

    def url(self, route: str, **query: object) -> str:
        return f"{self.public_url}{BASE}{route}" + (f"?{urlencode(query)}" if query else "")

    def _gather_url(self, language: str, step: int, attempt: int, option_ids: tuple[str, ...]) -> str:
        query: dict[str, object] = {"lang": language, "step": step, "attempt": attempt}
        if option_ids:
            query["opts"] = ",".join(option_ids)
        return self.url("/gather", **query)

    async def _remember(self, call_sid: str, step: int, prompt: Prompt) -> None:
        value = {"text": prompt.text, "options": [[o.id, o.label] for o in prompt.options]}
        await self.ctx.state.set(PROMPTS, f"{call_sid}:{step}", value)

    async def _recall(self, call_sid: str, step: int) -> Prompt | None:
        value = await self.ctx.state.get(PROMPTS, f"{call_sid}:{step}")
        if not isinstance(value, dict):
            return None
        return Prompt(str(value["text"]), tuple(Option(str(i), str(lbl)) for i, lbl in value["options"]))

    async def _params(self, request: Request) -> dict[str, str]:
        params = await self.form(request)
        try:
            caller(params)
            if not params.get("CallSid"):
                raise MalformedPayload("CallSid is missing")
        except MalformedPayload as exc:
            log.warning("malformed Twilio voice webhook: %s", exc)
            raise HTTPException(400, str(exc)) from None
        return params

    @staticmethod
    def _query(request: Request) -> tuple[str, int, int]:
        q = request.query_params
        language = q.get("lang", vt.DEFAULT_LANGUAGE)
        if language not in vt.VOICES:
            language = vt.DEFAULT_LANGUAGE
        try:
            return language, int(q.get("step", "0")), int(q.get("attempt", "0"))
        except ValueError:
            raise HTTPException(400, "bad step") from None

    # ------------------------------------------------------------ routes

    async def incoming(self, request: Request) -> Response:
        params = await self._params(request)
        log.info("call %s started", params["CallSid"])
        return twiml(language_menu(self.url("/language", attempt=0)))

    async def language(self, request: Request) -> Response:
        params = await self._params(request)
        _, _, attempt = self._query(request)
        chosen = pick_language(params.get("Digits", ""), params.get("SpeechResult", ""))
        if chosen:
            prompt = Prompt(vt.text("describe", chosen))
            await self._remember(params["CallSid"], 1, prompt)
            return twiml(ask(prompt, chosen, self._gather_url(chosen, 1, 0, ())))
        if attempt == 0:
            return twiml(language_menu(self.url("/language", attempt=1), sorry=True))
        lang = vt.DEFAULT_LANGUAGE
        return twiml(record_offer(lang, self.url("/recording", lang=lang, step=0)))

    async def gather(self, request: Request) -> Response:
        params = await self._params(request)
        language, step, attempt = self._query(request)
        opts = request.query_params.get("opts", "")
        option_ids = tuple(o for o in opts.split(",") if o)
        digits = params.get("Digits", "").strip()
        speech = params.get("SpeechResult", "").strip()
        bad_digit = bool(digits) and not (digits.isdigit() and 1 <= int(digits) <= len(option_ids))
        if (not digits and not speech) or bad_digit:
            return await self._no_match(params["CallSid"], language, step, attempt, option_ids, bad_digit)
        msg = parse_voice(params, step=f"g{step}", language=language, option_ids=option_ids)
        return await self._turn(msg, language, step + 1)

    async def _no_match(self, call_sid: str, language: str, step: int, attempt: int,
                        option_ids: tuple[str, ...], bad_digit: bool) -> Response:
        """Silence or a digit that names nothing: repeat the question once, then offer a recording."""
        if attempt >= 1:
            return twiml(record_offer(language, self.url("/recording", lang=language, step=step)))
        prompt = await self._recall(call_sid, step) or Prompt(vt.text("answer", language))
        apology = vt.text("not_option" if bad_digit else "sorry", language)
        return twiml(ask(prompt, language, self._gather_url(language, step, 1, option_ids), before=[apology]))

    async def recording(self, request: Request) -> Response:
        params = await self._params(request)
        language, step, _ = self._query(request)
        url = params.get("RecordingUrl", "")
        if not url.startswith(("https://", "http://")):
            raise HTTPException(400, "RecordingUrl is missing")
        sid = params.get("RecordingSid", "") or "recording"
        extras = {"voicemail": True, "recording_url": url, "recording_sid": sid,
                  "recording_duration": params.get("RecordingDuration", "")}
        attachment = Attachment(f"{sid}.wav", "audio/x-wav", 0, None, url)
        msg = parse_voice(params, step=f"r{step}", language=language, attachments=[attachment], extras=extras)
        return await self._voicemail(msg, language)

    async def status(self, request: Request) -> Response:
        """Call status callback: a hang-up needs no action (the engine keeps the draft), only a log line."""
        params = await self.form(request)
        log.info("call %s %s", params.get("CallSid", "?"), params.get("CallStatus", "?"))
        return Response(status_code=204)

    # ------------------------------------------------------------ the engine's turn

    async def _handle(self, msg: InboundMessage) -> list[Reply] | None:
        """The replies, or None when they did not come in time (the caller is still on the line)."""
        try:
            answered = await self.ctx.inbox.ask(msg, self.answer_timeout)
            return answered.replies if answered is not None else None
        except Exception:
            log.exception("engine failed on %s", msg.idempotency_key)
            return None

    async def _turn(self, msg: InboundMessage, language: str, next_step: int) -> Response:
        result = await self._handle(msg)
        if result is None:
            # The caller is still on the line: rather than Twilio's "application error", take a message.
            return twiml(record_offer(language, self.url("/recording", lang=language, step=next_step)))
        turn = reply_turn(result, language,
                          lambda p: self._gather_url(language, next_step, 0, p.option_ids))
        if turn.prompt is not None:
            await self._remember(str(msg.extras["call_sid"]), next_step, turn.prompt)
        await self._sms_references(msg, turn.references, language)
        await self._sms_articles(msg, result, language)
        return twiml(turn.twiml)

    async def _sms_articles(self, msg: InboundMessage, replies: list[Reply], language: str) -> None:
        """A knowledge-base article is read out as its summary; its steps and link go by SMS (once: a
        redelivered webhook repeats the answer, never the SMS)."""
        phone = msg.sender.phone
        if not phone or not self.messaging.settings.twilio_sms_from:
            return
        for reply in replies:
            if reply.kind != "article":
                continue
            text = to_plain_within(reply.text, MAX_BODY)
            once = f"{phone}:{hashlib.sha256(text.encode()).hexdigest()}"
            if await self.ctx.state.get(SMS_SENT, once):
                continue
            await self.ctx.state.set(SMS_SENT, once, True)
            self.messaging.courtesy.spawn(self.messaging.send_sms(msg, phone, text))

    async def _voicemail(self, voicemail: InboundMessage, language: str) -> Response:
        """The recording joins the caller's report, then the report is filed for a person to listen to.

        Two messages, in the engine's own terms: the recording as an attachment (added to the draft, or
        to the open ticket), then the documented ``cmd:human`` option, which files the draft at once and
        flags it for an agent. Only what concerns the ticket is spoken: the caller is about to hang up.
        """
        escalate = replace(voicemail, attachments=(), option_id=HUMAN_OPTION,
                           provider_message_id=f"{voicemail.provider_message_id}:human")
        results = [r for r in [await self._handle(voicemail)] if r is not None]
        if results:
            results += [r for r in [await self._handle(escalate)] if r is not None]
        filed = [reply for r in results for reply in r if reply.ticket]
        turn = reply_turn([Reply(vt.text("recorded", language)), *filed], language, str, hang_up=True)
        await self._sms_references(voicemail, turn.references, language)
        return twiml(turn.twiml)

    async def _sms_references(self, msg: InboundMessage, references: tuple[str, ...], language: str) -> None:
        """Send the ticket reference by SMS too, when the caller's number can receive one: once per
        reference (a redelivered webhook repeats the answer, never the SMS)."""
        phone = msg.sender.phone
        if not references or not phone or not self.messaging.settings.twilio_sms_from:
            return
        for ref in references:
            if await self.ctx.state.get(SMS_SENT, f"{phone}:{ref}"):
                continue
            await self.ctx.state.set(SMS_SENT, f"{phone}:{ref}", True)
            text = vt.text("reference_sms", language, ref=ref)
            self.messaging.courtesy.spawn(self.messaging.send_sms(msg, phone, text))
