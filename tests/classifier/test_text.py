"""Text preparation: export quirks cleaned, es/pt glossed into the English the model knows."""

from __future__ import annotations

import re

from classifier.lexicon import gloss_word
from classifier.text import clean, compose, looks_es_pt, prepare


def test_clean_and_compose() -> None:
    assert clean("Dear team,\\n\\nthe  VPN\tdrops") == "Dear team, the VPN drops"
    assert compose("VPN down", "") == "VPN down"
    assert compose("", "body only") == "body only"
    assert compose("Subject", "Body text") == "Subject. Body text"


def test_language_guess() -> None:
    assert looks_es_pt("No puedo acceder a mi cuenta desde la mañana, el sistema muestra un error")
    assert looks_es_pt("Não consigo acessar a minha conta, o sistema mostra um erro desde ontem")
    assert not looks_es_pt("I cannot access my account since this morning, the system shows an error")
    assert not looks_es_pt(
        "Je ne peux pas accéder à mon compte depuis ce matin, le système affiche une erreur"
    )


def test_gloss_spanish_and_portuguese() -> None:
    es = prepare(
        "Estimado equipo de soporte: la factura de marzo tiene un cobro duplicado, necesito un reembolso"
    )
    expected = {"dear", "team", "support", "invoice", "charge", "duplicate", "need", "refund"}
    assert expected <= set(re.findall(r"\w+", es))
    pt = prepare("Prezada equipe, a impressora não funciona e a senha do e-mail expirou. É urgente!")
    assert {"dear", "team", "printer", "not", "working", "password", "urgent"} <= set(re.findall(r"\w+", pt))


def test_hints_override_the_guess() -> None:
    text = "la factura de la cuenta"
    assert prepare(text, "en") == text
    assert "invoice" in prepare(text, "es-ES")
    assert "invoice" in prepare("factura", "es")  # too short to guess, the hint decides


def test_lexicon_forms() -> None:
    assert gloss_word("facturacion") == "billing"
    assert gloss_word("contrasenas") == "password"
    assert gloss_word("problemas") == "problem"  # plural falls back to the singular
    assert gloss_word("reducir") is None  # "red" (network) is exact-only, so no false prefix match
    assert gloss_word("xps") is None


def test_english_passes_through_untouched() -> None:
    text = "The red light on the router blinks; the connection is lost"
    assert prepare(text) == text
