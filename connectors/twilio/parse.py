"""Twilio webhook parameters -> InboundMessage. Pure functions: no I/O, no clock except a default.

Messaging (WhatsApp and SMS share one webhook: WhatsApp senders carry the ``whatsapp:`` prefix) and voice
(one message per answered <Gather> or <Record>). The caller's number is verified by Twilio, so it becomes
``Identity.phone`` (E.164 without the ``whatsapp:`` prefix): that is what links a WhatsApp user to the
tickets they opened by phone or e-mail.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialog.messages import Attachment, Identity, InboundMessage, utcnow

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SID = re.compile(r"^[A-Z]{2}[0-9a-zA-Z]{8,62}$")
MAX_MEDIA = 10  # Twilio sends at most 10 media per message


class MalformedPayload(ValueError):
    """The request was signed by Twilio but lacks what a message needs; answered with 400."""


@dataclass(frozen=True, slots=True)
class MediaItem:
    index: int
    url: str
    content_type: str


def _sid(params: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = params.get(name, "").strip()
        if value:
            if not SID.match(value):
                raise MalformedPayload(f"{name} is not a Twilio SID")
            return value
    raise MalformedPayload(f"{names[0]} is missing")


def split_address(address: str) -> tuple[str, str]:
    """'whatsapp:+34600111222' -> ('whatsapp', '+34600111222'); '+34600111222' -> ('sms', ...)."""
    if address.startswith("whatsapp:"):
        return "whatsapp", address.removeprefix("whatsapp:")
    return "sms", address


def conversation_key(channel: str, number: str) -> str:
    """The key the Outbound turns back into an address: 'whatsapp:+34...', 'sms:+34...', 'voice:+34...'."""
    return f"{channel}:{number}"


def is_inbound_message(params: Mapping[str, str]) -> bool:
    """Status callbacks (sent, delivered, read ...) reach the same URL when configured so; not messages."""
    status = params.get("SmsStatus") or params.get("MessageStatus") or "received"
    return status == "received"


def media_items(params: Mapping[str, str]) -> list[MediaItem]:
    raw = params.get("NumMedia", "0").strip() or "0"
    if not raw.isdigit():
        raise MalformedPayload("NumMedia is not a number")
    items = []
    for i in range(min(int(raw), MAX_MEDIA)):
        url = params.get(f"MediaUrl{i}", "")
        if not url.startswith(("https://", "http://")):
            raise MalformedPayload(f"MediaUrl{i} is missing or not a URL")
        items.append(MediaItem(i, url, params.get(f"MediaContentType{i}", "application/octet-stream")))
    return items


def parse_messaging(params: Mapping[str, str], *, attachments: Sequence[Attachment] = (),
                    extras: Mapping[str, Any] | None = None,
                    received_at: datetime | None = None) -> InboundMessage | None:
    """A WhatsApp or SMS webhook -> InboundMessage; None for status callbacks and unsupported channels.

    WhatsApp quick-reply buttons of a template carry their id in ButtonPayload; a typed "2" stays text and
    the engine resolves it against the options it is waiting for.
    """
    if not is_inbound_message(params):
        return None
    sid = _sid(params, "MessageSid", "SmsMessageSid")
    sender = params.get("From", "").strip()
    if not sender:
        raise MalformedPayload("From is missing")
    channel, number = split_address(sender)
    if ":" in number:  # messenger:, rcs: ... are not channels of ours
        return None
    if not E164.match(number):
        raise MalformedPayload("From is not an E.164 number")
    text = params.get("Body", "")
    option_id = params.get("ButtonPayload") or None
    more: dict[str, Any] = {"to": params.get("To", ""), "provider": "twilio"}
    if channel == "whatsapp" and params.get("WaId"):
        more["wa_id"] = params["WaId"]
    if params.get("Latitude") and params.get("Longitude"):
        more["location"] = {"latitude": params["Latitude"], "longitude": params["Longitude"],
                            "address": params.get("Address", "")}
    more.update(extras or {})
    return InboundMessage(
        channel=channel,
        conversation_key=conversation_key(channel, number),
        sender=Identity(channel=channel, native_id=number, display_name=params.get("ProfileName") or None,
                        phone=number),
        text=text,
        option_id=option_id,
        attachments=tuple(attachments),
        provider_message_id=sid,
        received_at=received_at or utcnow(),
        extras=more,
    )


# ---------------------------------------------------------------- voice

#: The IVR's languages: digit, BCP-47 tag, words a caller may say to pick it.
LANGUAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("1", "es-MX", ("espanol", "castellano", "spanish", "uno", "one", "um")),
    ("2", "pt-BR", ("portugues", "portuguese", "dos", "dois", "two")),
    ("3", "en-US", ("english", "ingles", "three", "tres")),
)

_SPOKEN_DIGITS = {
    "uno": 1, "una": 1, "um": 1, "uma": 1, "one": 1, "dos": 2, "dois": 2, "duas": 2, "two": 2, "tres": 3,
    "three": 3, "cuatro": 4, "quatro": 4, "four": 4, "cinco": 5, "five": 5, "seis": 6, "six": 6,
    "siete": 7, "sete": 7, "seven": 7, "ocho": 8, "oito": 8, "eight": 8, "nueve": 9, "nove": 9, "nine": 9,
}


def fold(text: str) -> str:
    """Lower case without accents or punctuation, for matching what speech recognition heard."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", plain).split())


def pick_language(digits: str, speech: str) -> str | None:
    """The language a caller chose at the menu, by digit or by saying its name; None when no match."""
    digits = digits.strip()
    for digit, tag, _words in LANGUAGES:
        if digits == digit:
            return tag
    words = set(fold(speech).split())
    for digit, tag, names in LANGUAGES:
        if words & set(names) or digit in words:
            return tag
    return None


def spoken_choice(speech: str) -> int | None:
    """'two', 'dos', 'option 2' -> 2; None when the caller said words rather than a number."""
    words = fold(speech).split()
    if not words or len(words) > 3:
        return None
    last = words[-1]
    if last.isdigit():
        return int(last)
    return _SPOKEN_DIGITS.get(last)


def caller(params: Mapping[str, str]) -> tuple[str, str | None]:
    """(native id, verified E.164 phone or None). Withheld numbers and SIP/client callers get no phone."""
    sender = params.get("From", "").strip() or params.get("Caller", "").strip()
    if not sender:
        raise MalformedPayload("From is missing")
    return sender, sender if E164.match(sender) else None


def voice_conversation_key(params: Mapping[str, str]) -> str:
    """'voice:+34600111222': one key per caller, so a hang-up keeps the draft for their next call.
    A caller without a usable number gets a per-call key (nothing to resume by)."""
    native, phone = caller(params)
    if phone:
        return conversation_key("voice", phone)
    return conversation_key("voice", f"{native}:{_sid(params, 'CallSid')}")


def parse_voice(params: Mapping[str, str], *, step: str, language: str, option_ids: Sequence[str] = (),
                attachments: Sequence[Attachment] = (), extras: Mapping[str, Any] | None = None,
                received_at: datetime | None = None) -> InboundMessage:
    """One answered <Gather> (digits or speech) or <Record> of a call -> InboundMessage.

    The idempotency key is CallSid + step, so Twilio retrying the same action URL is a duplicate while the
    next question of the same call is a new message. A digit picks ``option_ids[digit - 1]``; a spoken
    number does the same; other speech goes to the engine as text (it matches option labels itself).
    """
    call_sid = _sid(params, "CallSid")
    native, phone = caller(params)
    digits = params.get("Digits", "").strip()
    speech = params.get("SpeechResult", "").strip()
    option_id = None
    if option_ids:
        choice = int(digits) if digits.isdigit() else spoken_choice(speech) if speech else None
        if choice is not None and 1 <= choice <= len(option_ids):
            option_id = option_ids[choice - 1]
    more: dict[str, Any] = {"call_sid": call_sid, "language": language, "provider": "twilio",
                            "input": "dtmf" if digits else "speech" if speech else "none"}
    if speech and params.get("Confidence"):
        with contextlib.suppress(ValueError):
            more["speech_confidence"] = float(params["Confidence"])
    more.update(extras or {})
    return InboundMessage(
        channel="voice",
        conversation_key=voice_conversation_key(params),
        sender=Identity(channel="voice", native_id=phone or native, phone=phone),
        text=speech if option_id is None else "",
        option_id=option_id,
        attachments=tuple(attachments),
        provider_message_id=f"{call_sid}:{step}",
        received_at=received_at or utcnow(),
        locale_hint=language,
        extras=more,
    )
