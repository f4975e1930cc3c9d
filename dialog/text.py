"""Text hygiene shared by the engine: cleaning user input and folding it for matching.

Matching is done on a *folded* form (case-folded, accents removed, punctuation turned into spaces, emoji
kept as tokens) so "¿Sí?", "si" and "SÍ!" are the same answer, and so admins can write playbook patterns and
lexicon phrases without caring about accents.
"""

from __future__ import annotations

import re
import unicodedata

#: Ticket references a user may quote (INC-000123, REQ-..., PRB-..., CHG-...).
REFERENCE_RE = re.compile(r"\b(INC|REQ|PRB|CHG)-(\d{6})\b", re.IGNORECASE)

_KEEP_FORMAT = {"\u200d"}  # zero-width joiner: part of composed emoji
_SPACES = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def sanitize(text: str, max_chars: int) -> tuple[str, bool]:
    """Strip control and invisible formatting characters, normalise, and cut to ``max_chars``.

    Returns the clean text and whether it was truncated. Bidi overrides and other format characters are
    removed because they can disguise text shown to agents; lone surrogates would break every encoder.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\n" or (cat not in ("Cc", "Cs", "Co", "Cn") and (cat != "Cf" or ch in _KEEP_FORMAT)):
            kept.append(ch)
    clean = unicodedata.normalize("NFC", "".join(kept))
    clean = _BLANK_LINES.sub("\n\n", "\n".join(_SPACES.sub(" ", line).strip() for line in clean.split("\n")))
    clean = clean.strip()
    if len(clean) <= max_chars:
        return clean, False
    cut = clean[:max_chars]
    space = cut.rfind(" ")
    if space > max_chars * 0.8:
        cut = cut[:space]
    return cut.rstrip(), True


def has_words(text: str) -> bool:
    """True when the text holds at least one letter or digit (emoji and punctuation alone do not count)."""
    return any(ch.isalnum() for ch in text)


def fold(text: str) -> str:
    """Case-fold and remove accents, keeping everything else."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def canonical(text: str) -> str:
    """The folded form used for matching: words and emoji separated by single spaces."""
    out: list[str] = []
    for ch in fold(text).replace("'", "").replace("’", ""):
        if ch.isalnum():
            out.append(ch)
        elif unicodedata.category(ch) == "So":
            out.append(f" {ch} ")
        else:
            out.append(" ")
    return " ".join("".join(out).split())


def contains_phrase(haystack: str, phrase: str) -> bool:
    """Whole-word containment on canonical strings."""
    if not phrase:
        return False
    return f" {phrase} " in f" {haystack} "


def references(text: str) -> list[str]:
    """Ticket references quoted in a text, upper-cased, in order, without duplicates."""
    seen: list[str] = []
    for m in REFERENCE_RE.finditer(text):
        ref = f"{m.group(1).upper()}-{m.group(2)}"
        if ref not in seen:
            seen.append(ref)
    return seen


def snippet(text: str, limit: int = 60) -> str:
    """A one-line excerpt for prompts that remind the user of an earlier report."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
