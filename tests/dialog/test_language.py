"""Language detection, hints, explicit switching and unsupported languages; the lingua detector itself."""

from __future__ import annotations

import pytest

from atende.adapters.language import LinguaDetector
from tests.dialog.conftest import Desk
from tests.dialog.transcript import Say, contains, converse, press


@pytest.mark.parametrize(("text", "expected"), [
    ("hola, no puedo entrar al correo", "es"),
    ("olá, não consigo acessar o email", "pt"),
    ("hi, I cannot log into my email", "en"),
    ("Bonjour, mon imprimante ne fonctionne plus", "fr"),
    ("Guten Tag, mein Drucker funktioniert nicht", "de"),
    ("ok", None),
    ("sim", None),
    ("👍👍", None),
])
def test_lingua_detector(detector: LinguaDetector, text: str, expected: str | None) -> None:
    code, confidence = detector.detect(text)
    assert code == expected
    assert 0.0 <= confidence <= 1.0


async def test_each_language_is_detected_from_the_first_message(make_engine) -> None:  # type: ignore[no-untyped-def]
    for text, greeting in [("oi", "Olá, Ana!"), ("hola", "¡Hola, Ana!"), ("hello", "Hello, Ana!"),
                           ("bom dia, preciso de ajuda", "Olá, Ana!")]:
        desk = make_engine()
        await converse(desk, [("user", text), ("bot", contains(greeting))])


async def test_switch_language_mid_question_and_back(desk: Desk) -> None:
    await converse(desk, [
        ("user", "mi portátil no enciende"),
        ("bot", contains("¿Puedes seguir trabajando")),
        ("user", "English please"),
        ("bot", contains("Sure, I'll continue in English.")),
        ("bot", contains("Can you keep working", options=["ans:urgency:high", "ans:urgency:medium",
                                                          "ans:urgency:low"])),
        ("user", "em português"),
        ("bot", contains("Claro, vou continuar em português.")),
        ("bot", contains("Você consegue continuar trabalhando")),
        ("user", "/lang es"),
        ("bot", contains("Claro, continúo en español.")),
        ("bot", contains("¿Puedes seguir trabajando")),
        ("user", "/lang fr"),
        ("bot", contains("solo puedo conversar en inglés, español y portugués")),
        ("user", press("lang:en")),
        ("bot", contains("Sure, I'll continue in English.")),
    ])
    state = await desk.state()
    assert state is not None and state["language"] == "en" and state["language_locked"]


async def test_chosen_language_sticks_for_short_answers_and_follows_a_clear_message(desk: Desk) -> None:
    await converse(desk, [
        ("user", "en español"),
        ("bot", contains("Claro, continúo en español.")),
        ("bot", contains("describe el problema")),
        ("user", "monitor ok"),  # too short to be a clear change of language
        ("bot", contains("¿Me das un poco más de detalle?")),
        ("user", "my monitor shows no signal since this morning"),  # a clear English message: English
        ("bot", contains("Can you keep working")),
    ])


async def test_after_english_please_a_clear_portuguese_message_switches_back(desk: Desk) -> None:
    await converse(desk, [
        ("user", "o mouse do computador parou de funcionar"),
        ("bot", contains("O que acontece?")),
        ("user", "english please"),
        ("bot", contains("Sure, I'll continue in English.")),
        ("bot", contains("What happens?")),
        ("user", "sim"),  # one word: no switch (and no answer to this question: a hint)
        ("bot", contains("Please choose one of the options")),
        ("bot", contains("What happens?")),
        ("user", "ele simplesmente não responde quando eu clico"),  # clearly Portuguese: back to Portuguese
        ("bot", contains("Quem é afetado por isso?")),
    ])
    state = await desk.state()
    assert state is not None and state["language"] == "pt" and not state["language_locked"]


async def test_language_follows_a_description_in_another_language(desk: Desk) -> None:
    await converse(desk, [
        ("user", "hello"),
        ("bot", contains("Hello, Ana!")),
        ("user", "o Excel mostra um erro quando abro a planilha"),
        ("bot", contains("O que diz o erro?")),
        ("user", "Error: access denied for user admin"),  # an error copied in English does not switch
        ("bot", contains("Quem é afetado por isso?")),
    ])


async def test_locale_hint_decides_short_first_messages(desk: Desk) -> None:
    await converse(desk, [
        ("user", Say("ok", locale_hint="pt-BR")),
        ("bot", contains("Olá, Ana!", "Conte em poucas palavras")),
    ])


async def test_unsupported_language_gets_a_trilingual_notice_and_continues(desk: Desk) -> None:
    await converse(desk, [
        ("user", "Bonjour, mon imprimante ne fonctionne plus depuis hier"),
        ("bot", contains("I can only chat in English, Spanish and Portuguese", "I'll continue in English",
                         "solo puedo conversar en inglés, español y portugués",
                         "só consigo conversar em inglês, espanhol e português", kind="notice")),
        ("bot", contains("which of these describes it best?")),
        ("user", "Je ne sais pas"),  # the notice is given once per conversation; the question again
        ("bot", contains("which of these describes it best?")),
    ])
    conversation = await desk.state()
    assert conversation is not None and conversation["language"] == "en"


async def test_unsupported_language_continues_in_the_channel_locale(desk: Desk) -> None:
    await converse(desk, [
        ("user", Say("Guten Tag, mein Drucker druckt nicht mehr", locale_hint="es-AR")),
        ("bot", contains("Continuaré en español")),
        ("bot", contains("¿cuál de estas opciones lo describe mejor?")),
    ])
