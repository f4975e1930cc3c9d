"""Replies -> what Twilio needs: message bodies for WhatsApp/SMS, TwiML documents for the IVR. Pure.

Text channels use the shared numbered-list fallback (connectors.base.render_plain). On the phone, options
become "press 1 for ..." inside a <Gather input="dtmf speech">, and ticket references are spelled out so a
caller can write them down ("I N C, 0 0 0 1 2 3").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

from connectors.base import render_plain
from connectors.markdown import summary, to_plain_within
from connectors.twilio import voice_texts as vt
from dialog.messages import Option, Reply

MAX_BODY = 1600  # Twilio rejects longer message bodies
MAX_DIGIT_OPTIONS = 9


def _chunks(text: str, limit: int = MAX_BODY) -> list[str]:
    """Split at line or word boundaries so no part exceeds Twilio's body limit."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text or not parts:
        parts.append(text)
    return parts


def render_messages(replies: Sequence[Reply]) -> list[str]:
    """One or more message bodies per reply, options as a numbered list answered by number or words."""
    bodies: list[str] = []
    for reply in replies:
        if reply.kind == "article" and not reply.options:  # one message: steps that fit, then the link
            bodies.append(to_plain_within(reply.text, MAX_BODY))
        else:
            bodies.extend(_chunks(render_plain(reply)))
    return [b for b in bodies if b.strip()]


def offered_options(replies: Sequence[Reply]) -> tuple[Option, ...]:
    """The options a number typed next answers: those of the last reply that had any, or none."""
    for reply in reversed(replies):
        if reply.options:
            return reply.options
    return ()


def template_variables(replies: Sequence[Reply], ticket: str | None) -> str:
    """ContentVariables of the out-of-window WhatsApp template: {{1}} ticket reference, {{2}} the update."""
    text = "\n".join(r.text for r in replies if r.text)
    ref = ticket or next((r.ticket for r in replies if r.ticket), None) or "-"
    return json.dumps({"1": ref, "2": text[:1000]}, ensure_ascii=False)


def spell_reference(reference: str) -> str:
    """'INC-000123' -> 'I N C, 0 0 0 1 2 3': read character by character, groups apart."""
    groups = [g for g in re.split(r"[^0-9A-Za-z]+", reference) if g]
    return ", ".join(" ".join(group.upper()) for group in groups)


# ---------------------------------------------------------------- voice


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a <Gather> asks: the reply spoken inside it and the option ids its digits map to."""

    text: str
    options: tuple[Option, ...] = ()

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)


def _say(node: VoiceResponse | Gather, words: str, language: str) -> None:
    if words.strip():
        node.say(words, voice=vt.voice(language), language=language)


def _gather(response: VoiceResponse, action: str, language: str, options: Sequence[Option]) -> Gather:
    kwargs: dict[str, object] = {}
    if 0 < len(options) <= MAX_DIGIT_OPTIONS:
        kwargs["num_digits"] = 1
    elif options:
        kwargs["finish_on_key"] = "#"
    if options:
        kwargs["hints"] = ", ".join(o.label for o in options)
    return response.gather(input="dtmf speech", action=action, method="POST", language=language, timeout=6,
                           speech_timeout="auto", action_on_empty_result=True, **kwargs)


def _say_prompt(node: Gather, prompt: Prompt, language: str) -> None:
    _say(node, prompt.text, language)
    for n, opt in enumerate(prompt.options, start=1):
        _say(node, vt.text("press", language, n=str(n), label=opt.label), language)


def language_menu(action: str, *, sorry: bool = False) -> str:
    """The first thing a caller hears: each language offered in its own voice, digit or speech."""
    response = VoiceResponse()
    gather = response.gather(input="dtmf speech", action=action, method="POST", num_digits=1, timeout=6,
                             speech_timeout="auto", action_on_empty_result=True, language="es-MX",
                             hints="español, português, english")
    if sorry:
        for tag, _line in vt.MENU:
            _say(gather, vt.text("sorry", tag), tag)
    else:
        _say(gather, vt.text("welcome", "es-MX"), "es-MX")
    for tag, line in vt.MENU:
        _say(gather, line, tag)
    return str(response)


def ask(prompt: Prompt, language: str, action: str, *, before: Sequence[str] = ()) -> str:
    """A <Gather> asking ``prompt`` after saying ``before`` (earlier replies, an apology)."""
    response = VoiceResponse()
    for words in before:
        _say(response, words, language)
    _say_prompt(_gather(response, action, language, prompt.options), prompt, language)
    return str(response)


def record_offer(language: str, action: str) -> str:
    """After a repeated silence or no-match: take a voice message instead (attached to a ticket)."""
    response = VoiceResponse()
    _say(response, vt.text("sorry", language), language)
    _say(response, vt.text("record", language), language)
    response.record(action=action, method="POST", max_length=120, timeout=5, finish_on_key="#",
                    play_beep=True, trim="trim-silence")
    _say(response, vt.text("goodbye", language), language)
    response.hangup()
    return str(response)


@dataclass(frozen=True, slots=True)
class Turn:
    twiml: str
    prompt: Prompt | None  # None when the call ends
    references: tuple[str, ...]


def _wants_answer(reply: Reply) -> bool:
    return bool(reply.options) or reply.kind in ("question", "csat")


def reply_turn(replies: Sequence[Reply], language: str, action: Callable[[Prompt], str], *,
               hang_up: bool = False) -> Turn:
    """The engine's replies spoken, references spelled out, then the next <Gather> or the goodbye.

    ``action(prompt)`` gives the URL the <Gather> posts to (it carries the prompt's option ids).

    The call goes on while the engine asks something (options, a question, CSAT) or has not produced a
    ticket yet; once a ticket reference was read back and nothing is asked, it ends politely.
    """
    response = VoiceResponse()
    references: list[str] = []

    def spoken(reply: Reply) -> str:
        if reply.kind == "article":  # steps are for reading: the caller hears what the article is about
            return summary(reply.text)
        if not reply.ticket or reply.ticket in references:
            return reply.text
        references.append(reply.ticket)
        readback = vt.text("reference", language, ref=spell_reference(reply.ticket))
        text = reply.text.strip()
        if text and text[-1] not in ".!?:":
            text += "."
        return f"{text} {readback}".strip()

    last = replies[-1] if replies else None
    asks = not hang_up and (last is None or _wants_answer(last) or not any(r.ticket for r in replies))
    for reply in replies[:-1] if asks else replies:
        _say(response, spoken(reply), language)
    if not asks:
        _say(response, vt.text("goodbye", language), language)
        response.hangup()
        return Turn(str(response), None, tuple(references))
    prompt = Prompt(spoken(last), last.options) if last else Prompt(vt.text("answer", language))
    _say_prompt(_gather(response, action(prompt), language, prompt.options), prompt, language)
    return Turn(str(response), prompt, tuple(references))
