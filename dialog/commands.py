"""Commands in natural words and as /commands, in every catalog's language.

A natural-language command must be the *whole* message once filler words are dropped ("can you show me my
tickets please" -> "tickets"), so a description such as "I cannot close the app" is never taken for a
command. Fillers and phrases live in the catalogs' lexicons; both are reduced the same way before comparing.
Option ids ``cmd:<name>``, ``lang:<code>`` and ``close:<ref>`` are accepted at any time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialog.i18n import Catalogs
from dialog.text import REFERENCE_RE, canonical, has_words, references

_CLAUSE = re.compile(r"\s*([,;:.!\u2013\u2014]|\s-\s)\s*")
NAMES = ("help", "status", "new", "cancel", "close", "human", "start", "reopen")


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # one of NAMES, "lang" or "unknown"
    arg: str | None = None  # a ticket reference (close/status/human/reopen) or a language code (lang)
    language: str | None = None  # the catalog whose phrase matched: a hint when the language is unknown


class CommandParser:
    def __init__(self, catalogs: Catalogs) -> None:
        self._fillers = frozenset(catalogs.words("filler"))
        self._phrases: dict[str, tuple[str, str | None, str]] = {}
        for name in NAMES:
            for lang, phrase in catalogs.phrases(f"cmd_{name}"):
                self._add(self.reduce(phrase), name, None, lang)
        for code in catalogs.languages:
            for lang, phrase in catalogs.phrases(f"lang_{code}"):
                self._add(self.reduce(phrase), "lang", code, lang)
        # The language a phrase was written in, before fillers are dropped ("mis tickets" is Spanish even
        # though it reduces to the English "tickets"): the hint for a conversation's first message.
        self._written_in: dict[str, str] = {}
        for key in [f"cmd_{n}" for n in NAMES] + [f"lang_{c}" for c in catalogs.languages]:
            for lang, phrase in catalogs.phrases(key):
                self._written_in.setdefault(phrase, lang)
        self._lang_words = {p: lang for lang, p in catalogs.phrases("cmd_lang")}
        self._languages = catalogs.languages

    def _add(self, reduced: str, name: str, arg: str | None, lang: str) -> None:
        if reduced:
            self._phrases.setdefault(reduced, (name, arg, lang))

    def reduce(self, text: str) -> str:
        """Canonical form without filler words (both for phrases and for user messages)."""
        return " ".join(w for w in canonical(text).split() if w not in self._fillers)

    def from_option(self, option_id: str) -> Command | None:
        kind, _, value = option_id.partition(":")
        if kind == "cmd" and value in NAMES:
            return Command(value)
        if kind == "lang" and value:
            return Command("lang", value)
        if kind == "close" and value:
            return Command("close", value.upper())
        return None

    def parse(self, text: str) -> Command | None:
        stripped = text.strip()
        if stripped.startswith("/"):
            return self._slash(stripped[1:])
        refs = references(stripped)
        if refs:
            hit = self._phrases.get(self.reduce(REFERENCE_RE.sub(" ", stripped)))
            if hit and hit[0] in ("close", "status", "human", "reopen"):
                return Command(hit[0], refs[0], hit[2])
            return None
        reduced = self.reduce(stripped)
        hit = self._phrases.get(reduced)
        if hit is None:
            return self._leading(stripped)
        return Command(hit[0], hit[1], self._written_in.get(canonical(stripped), hit[2]))

    def _leading(self, text: str) -> Command | None:
        """A cancel said in a sentence: "cancelar, ya me lo instaló un compañero", "cancel - fixed it".
        Only cancel, and only as the first clause before punctuation, so "cancel my meeting invite does not
        work" stays a description."""
        m = _CLAUSE.search(text)
        if m is None or not has_words(text[m.end():]):
            return None
        head = text[:m.start()]
        hit = self._phrases.get(self.reduce(head))
        if hit is None or hit[0] != "cancel":
            return None
        return Command("cancel", None, self._written_in.get(canonical(head), hit[2]))

    def _slash(self, body: str) -> Command:
        word, _, rest = body.partition(" ")
        word = canonical(word.split("@", 1)[0])  # Telegram appends @BotName in groups
        rest = rest.strip()
        if word in self._lang_words or word == "lang":
            named = self._phrases.get(self.reduce(rest))
            code = named[1] if named and named[0] == "lang" else canonical(rest)[:2] or None
            return Command("lang", code, self._lang_words.get(word))
        hit = self._phrases.get(word)
        if hit is None:
            return Command("unknown", word)
        refs = references(rest)
        return Command(hit[0], refs[0] if refs else hit[1], hit[2])
