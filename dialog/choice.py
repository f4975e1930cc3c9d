"""Answers to a list of options typed as text: "2", "2.", "#2", "the second one", "la segunda", "o 2º".

Every channel without buttons (SMS, WhatsApp, e-mail, the terminal) shows options as a numbered list, and
people on channels with buttons type too. The engine resolves such answers against the options it is
waiting for, once for every channel, so no connector keeps its own copy of the last options shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_ORDINALS = {
    1: ("first", "1st", "primero", "primera", "primer", "primeiro", "primeira", "1o", "1a"),
    2: ("second", "2nd", "segundo", "segunda", "2o", "2a"),
    3: ("third", "3rd", "tercero", "tercera", "tercer", "terceiro", "terceira", "3o", "3a"),
    4: ("fourth", "4th", "cuarto", "cuarta", "quarto", "quarta", "4o", "4a"),
    5: ("fifth", "5th", "quinto", "quinta", "5o", "5a"),
    -1: ("last", "ultimo", "ultima", "last one"),
}
_FILLER = {"the", "one", "option", "number", "el", "la", "lo", "opcion", "numero", "o", "a", "opcao", "um",
           "uma", "nº", "no", "n", "de", "do", "da", "please", "por", "favor", "pls"}
_WORD = re.compile(r"[a-z0-9]+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold().replace("º", "o").replace("ª", "a"))
    return "".join(c for c in text if not unicodedata.combining(c))


def resolve_choice(text: str, options: Sequence[str]) -> str | None:
    """The option id a typed answer names by position, or None. Only short answers count: "2 users are
    affected" is a sentence, not a choice."""
    if not options:
        return None
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    words = [w for w in _WORD.findall(_fold(first))]
    if not words or len(words) > 4:
        return None
    meaningful = [w for w in words if w not in _FILLER]
    if len(meaningful) != 1:
        return None
    token = meaningful[0]
    index: int | None = None
    if token.isdigit():
        index = int(token)
    else:
        for n, names in _ORDINALS.items():
            if token in names:
                index = n
                break
    if index is None:
        return None
    if index == -1:
        return options[-1]
    if 1 <= index <= len(options):
        return options[index - 1]
    return None
