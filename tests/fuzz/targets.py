"""Property-based fuzz targets (hypothesis), shared by the bounded tests in ``make test``
(tests/connectors/test_fuzz_parse.py, tests/dialog/test_fuzz_answers.py) and the long run
(benchmarks/fuzz.py --count N).

Every target states what "not a crash" means for its parser: it returns a value of the documented type or
raises the parser's documented refusal (MalformedUpdate, MalformedPayload, MalformedMail); any other
exception is a crash. Inputs are a mix of arbitrary JSON/bytes and payloads shaped like the provider's, so
that the fuzzer gets past the first field check.
"""

from __future__ import annotations

import contextlib
import email.policy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from typing import Any

from hypothesis import strategies as st

from connectors.email.parse import MalformedMail, parse, parse_mail
from connectors.slack.parse import MalformedPayload as SlackMalformed
from connectors.slack.parse import decode_text, parse_command, parse_event, parse_interaction
from connectors.telegram.parse import BotIdentity, MalformedUpdate, parse_update
from connectors.twilio.parse import MalformedPayload as TwilioMalformed
from connectors.twilio.parse import parse_messaging, parse_voice
from dialog.answers import match_choice, parse_answer, parse_date, parse_rating, parse_yes_no
from dialog.i18n import Catalogs
from dialog.messages import InboundMessage
from dialog.playbooks import Playbooks

#: Cases run per target (benchmarks/fuzz.py prints it).
CASES: Counter[str] = Counter()

# --- building blocks -----------------------------------------------------------------------------------
_text = st.text(max_size=60)
_tricky = st.sampled_from(["", " ", "\u0000", "\ud800", "💥", "é", "/start", "/status@bot", "@bot", "<@U1>",
                           "INC-000001", "9" * 30, "-1", "1e309", "nan", "\r\n", "=?utf-8?q?x?=", "a" * 300])
_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), _text, _tricky)
_json = st.recursive(
    _scalar, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
    max_leaves=12)
_value = st.one_of(_json, _scalar)


def _shaped(keys: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with any subset of ``keys`` (each with its plausible or arbitrary value)."""
    return st.fixed_dictionaries({}, optional={k: st.one_of(v, _value) for k, v in keys.items()})


def _check_message(result: Any) -> None:
    assert result is None or isinstance(result, InboundMessage), type(result)
    if result is not None:
        assert isinstance(result.text, str) and isinstance(result.conversation_key, str)
        assert isinstance(result.sender.native_id, str)


# --- Telegram ---------------------------------------------------------------------------------------------
_tg_user = _shaped({"id": st.integers(), "is_bot": st.booleans(), "first_name": _text, "username": _text,
                    "language_code": st.sampled_from(["es", "pt-BR", "en", "", "zz-ZZ"])})
_tg_entity = _shaped({"type": st.sampled_from(["bot_command", "mention", "text_mention", "url"]),
                      "offset": st.integers(-5, 80), "length": st.integers(-5, 80), "user": _tg_user})
_tg_file = _shaped({"file_id": _text, "file_unique_id": _text, "file_size": st.integers(), "file_name": _text,
                    "mime_type": _text})
_tg_message = _shaped({
    "message_id": st.integers(), "date": st.integers(), "text": st.one_of(_text, _tricky),
    "caption": _text, "from": _tg_user,
    "chat": _shaped({"id": st.integers(), "title": _text,
                     "type": st.sampled_from(["private", "group", "supergroup", "channel"])}),
    "entities": st.lists(_tg_entity, max_size=3), "caption_entities": st.lists(_tg_entity, max_size=3),
    "photo": st.lists(_tg_file, max_size=3), "document": _tg_file, "voice": _tg_file, "video": _tg_file,
    "contact": _shaped({"user_id": st.integers(), "phone_number": _text}),
    "reply_to_message": _shaped({"from": _tg_user, "text": _text}),
    "reply_markup": _json,
})
_tg_callback = _shaped({"id": _text, "from": _tg_user, "data": _text, "message": _tg_message})
_tg_update = st.one_of(_json, _shaped({"update_id": st.integers(), "message": _tg_message,
                                       "callback_query": _tg_callback}))


def telegram(update: Any) -> None:
    CASES["telegram.parse_update"] += 1
    with contextlib.suppress(MalformedUpdate):
        _check_message(parse_update(update, BotIdentity(id=42, username="atende_bot")))


# --- Slack ------------------------------------------------------------------------------------------------
_slack_event = _shaped({"type": st.sampled_from(["message", "app_mention", "reaction_added"]),
                        "user": _text, "text": st.one_of(_text, _tricky), "channel": _text, "ts": _text,
                        "thread_ts": _text, "channel_type": st.sampled_from(["im", "channel"]),
                        "subtype": st.sampled_from(["file_share", "bot_message", "message_changed"]),
                        "files": st.lists(_shaped({"id": _text, "name": _text, "size": st.integers(),
                                                   "mimetype": _text, "url_private_download": _text}),
                                          max_size=3),
                        "bot_id": _text, "team": _text})
_slack_auth = _shaped({"is_bot": st.booleans(), "user_id": _text})
_slack_envelope = st.one_of(_json, _shaped({"event_id": _text, "event": _slack_event, "team_id": _text,
                                            "authorizations": st.lists(_slack_auth, max_size=2)}))
_slack_payload = st.one_of(_json, _shaped({
    "type": st.just("block_actions"), "trigger_id": _text,
    "actions": st.lists(_shaped({"action_id": st.sampled_from(["opt:1", "x"]), "value": _text,
                                 "text": _shaped({"text": _text}), "action_ts": _text, "block_id": _text}),
                        max_size=2),
    "user": _shaped({"id": _text, "name": _text}), "channel": _shaped({"id": _text}),
    "container": _shaped({"channel_id": _text, "message_ts": _text, "thread_ts": _text}),
    "message": _shaped({"ts": _text, "thread_ts": _text}), "team": _shaped({"id": _text})}))
_form = st.dictionaries(st.sampled_from(["user_id", "user_name", "text", "trigger_id", "command", "team_id",
                                         "channel_id"]), st.one_of(_text, _tricky))


def slack(envelope: Any, payload: Any, form: dict[str, str]) -> None:
    CASES["slack.parse_event"] += 1
    with contextlib.suppress(SlackMalformed):
        _check_message(parse_event(envelope))
    CASES["slack.parse_interaction"] += 1
    with contextlib.suppress(SlackMalformed):
        _check_message(parse_interaction(payload))
    CASES["slack.parse_command"] += 1
    with contextlib.suppress(SlackMalformed):
        _check_message(parse_command(form, "D123"))
    assert isinstance(decode_text(form.get("text", ""), "U1"), str)


# --- Twilio -----------------------------------------------------------------------------------------------
_sid = st.one_of(st.from_regex(r"\A(SM|MM|CA)[0-9a-f]{32}\Z"), _text)
_twilio_params = st.fixed_dictionaries({}, optional={
    "MessageSid": _sid, "SmsMessageSid": _sid, "CallSid": _sid, "AccountSid": _sid,
    "From": st.one_of(st.sampled_from(["whatsapp:+34600111222", "+34600111222", "client:x", ""]), _text),
    "To": _text, "Body": st.one_of(_text, _tricky),
    "NumMedia": st.one_of(st.integers(-2, 12).map(str), _text),
    "MediaUrl0": _text, "MediaContentType0": _text, "MediaUrl1": _text, "ButtonPayload": _text,
    "ButtonText": _text, "ProfileName": _text, "SmsStatus": st.sampled_from(["received", "delivered", ""]),
    "Digits": st.one_of(st.from_regex(r"\A[0-9#*]{0,4}\Z"), _text), "SpeechResult": _text,
    "Confidence": _text, "Caller": _text, "RecordingUrl": _text, "RecordingDuration": _text,
})


def twilio(params: dict[str, str], step: str, language: str, option_ids: list[str]) -> None:
    CASES["twilio.parse_messaging"] += 1
    with contextlib.suppress(TwilioMalformed):
        _check_message(parse_messaging(params))
    CASES["twilio.parse_voice"] += 1
    with contextlib.suppress(TwilioMalformed):
        _check_message(parse_voice(params, step=step, language=language, option_ids=option_ids))


# --- e-mail (MIME parser) ---------------------------------------------------------------------------------
_header_value = st.one_of(_text, _tricky, st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
                          st.sampled_from(["=?utf-8?b?w6k=?=", "=?iso-8859-1?q?caf=E9?=", "=?bogus?q?x?=",
                                           "<a@b>", "<>", "a@b, c@d", "\"x\" <y@z.test>", "auto-replied",
                                           "bulk", "text/plain; charset=klingon",
                                           "multipart/mixed; boundary=\"b\"", "base64", "quoted-printable"]))
_headers = st.lists(st.tuples(st.sampled_from([
    "From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type",
    "Content-Transfer-Encoding", "Content-Disposition", "Content-Language", "Auto-Submitted", "Precedence",
    "List-Id", "Return-Path", "Sender", "Reply-To", "X-Atende-Loop", "Authentication-Results",
    "DKIM-Signature"]), _header_value), max_size=10)


@st.composite
def mime(draw: st.DrawFn) -> bytes:
    """Raw bytes: arbitrary, or headers + (possibly multipart) bodies with odd charsets and encodings."""
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.binary(max_size=400))
    head = "".join(f"{k}: {v}\r\n" for k, v in draw(_headers)).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # most parser paths start once there is a sender
        sender = draw(st.sampled_from([b"a@b.test", b"=?utf-8?q?Ana?= <ana@x.test>", b"x@\xff.test"]))
        head = b"From: " + sender + b"\r\n" + head
    if kind == 1:
        return head + b"\r\n" + draw(st.binary(max_size=300))
    msg = EmailMessage()
    msg["From"] = draw(st.sampled_from(["alice@corp.test", "Ana <ana@x.test>", "bad", "<>"]))
    msg.set_content(draw(st.text(max_size=80)))
    for _ in range(draw(st.integers(0, 3))):
        msg.add_attachment(draw(st.binary(max_size=60)), maintype="application", subtype="octet-stream",
                           filename=draw(st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")),
                                                 max_size=20)) or None)
    if msg.is_multipart():
        msg.set_boundary("=_fuzz_boundary")  # the generator would draw one from `random`
    raw = msg.as_bytes(policy=email.policy.SMTP)
    if draw(st.booleans()):  # cut or splice the body
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=50))
    return head + raw


def email_mime(raw: bytes) -> None:
    CASES["email.parse_mail"] += 1
    try:
        mail = parse_mail(raw, desk_address="helpdesk@desk.test")
    except MalformedMail:
        return
    assert "@" in mail.from_address and isinstance(mail.text, str) and isinstance(mail.subject, str)
    CASES["email.parse"] += 1
    _check_message(parse(raw, "helpdesk@desk.test"))


# --- dialog answer parsers ----------------------------------------------------------------------------------
@dataclass
class _Dialog:
    catalogs: Catalogs
    questions: list[Any]


_DIALOG: _Dialog | None = None


def _dialog() -> _Dialog:
    global _DIALOG
    if _DIALOG is None:
        books = Playbooks.load()
        questions = [*books.common.questions, *(q for pb in books.categories.values() for q in pb.questions)]
        _DIALOG = _Dialog(Catalogs.load(), questions)
    return _DIALOG


_answer_text = st.one_of(_text, _tricky, st.sampled_from([
    "sí", "nao", "yes!", "no.", "1", "5/5", "⭐⭐⭐", "★★★★★★", "31/02", "29/02/2023", "2024-13-01", "ontem",
    "yesterday", "hace 3 días", "99999999999999999999", "12/12/99999", "0/0", "3 de 5", "excelente"]))


def answers(text: str, option_id: str | None, index: int, lang: str) -> None:
    d = _dialog()
    today = date(2026, 12, 5)
    CASES["dialog.parse_yes_no"] += 1
    assert parse_yes_no(text, d.catalogs) in (None, "yes", "no")
    CASES["dialog.parse_date"] += 1
    value = parse_date(text, d.catalogs, today, lang)
    assert value is None or isinstance(value, str)
    CASES["dialog.parse_rating"] += 1
    rating = parse_rating(text, d.catalogs)
    assert rating is None or 1 <= rating <= 5
    CASES["dialog.match_choice"] += 1
    choice = match_choice(text, [("a", ["printer", "impressora"]), ("b", [text[:5] or "x"])])
    assert choice in (None, "a", "b")
    if d.questions:
        question = d.questions[index % len(d.questions)]
        CASES["dialog.parse_answer"] += 1
        result = parse_answer(question, text, option_id, d.catalogs, today, lang)
        assert result is None or isinstance(result, str)


_option_ids = st.sampled_from(["ans:when:today", "ans:impact:team", "ans:x:skip", "x:y"])

#: name -> (property, strategies for its arguments), for benchmarks/fuzz.py.
TARGETS: dict[str, tuple[Callable[..., None], tuple[st.SearchStrategy[Any], ...]]] = {
    "telegram": (telegram, (_tg_update,)),
    "slack": (slack, (_slack_envelope, _slack_payload, _form)),
    "twilio": (twilio, (_twilio_params, st.sampled_from(["lang", "q1", "record", ""]),
                        st.sampled_from(["es", "pt", "en"]), st.lists(_text, max_size=4))),
    "email": (email_mime, (mime(),)),
    "answers": (answers, (_answer_text, st.one_of(st.none(), _text, _option_ids), st.integers(0, 1000),
                          st.sampled_from(["es", "pt", "en"]))),
}
