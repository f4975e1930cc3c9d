"""The small parsers behind the conversation: answers, dates, ratings, commands, text hygiene, state."""

from __future__ import annotations

import json
from datetime import date

import pytest

from dialog.answers import match_choice, parse_answer, parse_date, parse_rating, parse_yes_no
from dialog.commands import Command, CommandParser
from dialog.i18n import Catalogs
from dialog.playbooks import Playbooks
from dialog.state import STATE_VERSION, ConversationState, Draft
from dialog.text import canonical, references, sanitize
from dialog.titles import summarize

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load()


@pytest.fixture(scope="module")
def parser(catalogs: Catalogs) -> CommandParser:
    return CommandParser(catalogs)


@pytest.mark.parametrize(("text", "expected"), [
    ("Sí, gracias", "yes"), ("sim", "yes"), ("yep", "yes"), ("👍", "yes"), ("SI!", "yes"),
    ("no", "no"), ("não", "no"), ("nope", "no"), ("not really", "no"), ("no funcionó", "no"),
    ("maybe", None), ("", None),
])
def test_yes_no_in_any_language(catalogs: Catalogs, text: str, expected: str | None) -> None:
    assert parse_yes_no(text, catalogs) == expected


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("today", "en", "2026-11-26"), ("ontem", "pt", "2026-11-25"), ("desde ayer", "es", "2026-11-25"),
    ("hace 3 días", "es", "2026-11-23"), ("há 2 semanas", "pt", "2026-11-12"),
    ("5 days ago", "en", "2026-11-21"),
    ("2026-11-20", "en", "2026-11-20"), ("20/11", "es", "2026-11-20"), ("11/20", "en", "2026-11-20"),
    ("24/12", "pt", "2025-12-24"),  # no year and in the future: last year
    ("2027-01-01", "en", None), ("31/02/2026", "es", None), ("la semana pasada", "es", "more_than_a_week"),
    ("esta semana", "es", "this_week"), ("purple", "en", None),
])
def test_dates(catalogs: Catalogs, text: str, lang: str, expected: str | None) -> None:
    assert parse_date(text, catalogs, TODAY, lang) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("5", 5), ("4/5", 4), (" 3 ", 3), ("⭐⭐⭐⭐", 4), ("excelente", 5), ("muito bom", 5), ("bom", 4),
    ("terrible", 1), ("ruim", 2), ("7", None), ("hmm", None),
])
def test_ratings(catalogs: Catalogs, text: str, expected: int | None) -> None:
    assert parse_rating(text, catalogs) == expected


def test_choice_by_number_label_in_any_language_and_synonym(catalogs: Catalogs) -> None:
    impact = Playbooks.load().question("it_support", "impact")
    assert impact is not None

    def answer(text: str) -> str | None:
        return parse_answer(impact, text, None, catalogs, TODAY, "en")

    assert answer("2") == "team"
    assert answer("Solo a mí") == "individual"
    assert answer("a empresa toda") == "organization"
    assert answer("todo mundo") == "organization"
    assert answer("my team") == "team"
    assert answer("4") is None and answer("the cat") is None
    assert parse_answer(impact, "", "ans:impact:team", catalogs, TODAY, "en") == "team"
    assert parse_answer(impact, "", "ans:urgency:high", catalogs, TODAY, "en") is None


def test_ambiguous_choice_is_not_guessed() -> None:
    assert match_choice("red", [("a", ["red car"]), ("b", ["red bike"])]) is None
    assert match_choice("red car", [("a", ["red car"]), ("b", ["red bike"])]) == "a"


@pytest.mark.parametrize(("text", "expected"), [
    ("help", Command("help", None, "en")), ("Ayuda por favor", Command("help", None, "es")),
    ("/ajuda", Command("help", None, "pt")),
    ("can you show me my tickets please", Command("status", None, "en")),
    ("mis tickets", Command("status", None, "es")), ("novo chamado", Command("new", None, "pt")),
    ("cerrar INC-000123", Command("close", "INC-000123", "es")),
    ("/close inc-000042", Command("close", "INC-000042", "en")),
    ("fechar o chamado REQ-000001", Command("close", "REQ-000001", "pt")),
    ("talk to a human", Command("human", None, "en")),
    ("quiero hablar con una persona", Command("human", None, "es")),
    ("English please", Command("lang", "en", "en")), ("em português", Command("lang", "pt", "pt")),
    ("en español", Command("lang", "es", "es")), ("/lang pt", Command("lang", "pt", "en")),
    ("/idioma english", Command("lang", "en", "es")), ("/foo", Command("unknown", "foo", None)),
])
def test_commands(parser: CommandParser, text: str, expected: Command) -> None:
    assert parser.parse(text) == expected


@pytest.mark.parametrize("text", [
    "I cannot close the app", "my new laptop is slow", "no puedo cerrar sesión", "help me with the VPN",
    "INC-000123 is still broken", "",
])
def test_descriptions_are_not_commands(parser: CommandParser, text: str) -> None:
    assert parser.parse(text) is None


def test_option_commands(parser: CommandParser) -> None:
    assert parser.from_option("cmd:status") == Command("status")
    assert parser.from_option("lang:pt") == Command("lang", "pt")
    assert parser.from_option("close:inc-000001") == Command("close", "INC-000001")
    assert parser.from_option("ans:impact:team") is None


def test_sanitize() -> None:
    assert sanitize("a\x00b\u202ec\r\nd\t e", 100) == ("abc\nd e", False)
    assert sanitize("👨\u200d💻 ok", 100) == ("👨\u200d💻 ok", False)  # ZWJ emoji survive
    text, cut = sanitize("word " * 100, 50)
    assert cut and len(text) <= 50 and not text.endswith(" ")
    assert sanitize("\ud800x", 10) == ("x", False)  # a lone surrogate would break every encoder


def test_canonical_and_references() -> None:
    assert canonical("¿Sí?  ¡CLARO!") == "si claro"
    assert canonical("didn't 👍") == "didnt 👍"
    assert references("see inc-000123 and REQ-000004, inc-000123") == ["INC-000123", "REQ-000004"]
    assert references("INC-12345") == []


def test_titles_an_agent_can_scan() -> None:
    title = summarize("Hi team, the VPN says authentication failed", "VPN", ["GlobalProtect, Windows 11"])
    assert title == "VPN: The VPN says authentication failed (GlobalProtect, Windows 11)"
    assert summarize("Hola, cambié de móvil el fin de semana y ahora no me llega el código MFA", "Accesos") \
        == "Accesos: No me llega el código MFA"
    assert summarize("I have a problem with my laptop, the screen is black", "Hardware") \
        == "Hardware: My laptop, the screen is black"
    long = "The VPN drops every few minutes when I am on the train and it is very annoying indeed " * 3
    title = summarize(long, "Network and VPN", ["AnyConnect"])
    assert len(title) <= 95 and title.startswith("Network and VPN: The VPN drops") and "…" in title
    assert summarize("olá, bom dia", "Outros") == "Outros: olá, bom dia"  # nothing to pick: kept


def test_state_round_trip_is_json_and_versioned() -> None:
    state = ConversationState(language="pt", stage="question", active_ticket="INC-000001",
                              draft=Draft(description="x", answers={"impact": "team"}, queue=["urgency"]))
    raw = json.loads(json.dumps(state.to_dict()))
    assert raw["version"] == STATE_VERSION
    assert ConversationState.from_dict(raw) == state
    assert ConversationState.from_dict({**raw, "unknown_future_field": 1}) == state
    newer = ConversationState.from_dict({**raw, "version": STATE_VERSION + 1})
    assert newer.stage == "start" and newer.draft is None and newer.language == "pt"
    assert ConversationState.from_dict(None) == ConversationState()
