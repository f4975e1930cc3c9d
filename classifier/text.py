"""Text preparation shared by training and prediction, so both see exactly the same input.

Two jobs: undo quirks of exported ticket text (literal backslash-n sequences, stray whitespace), and gloss
Spanish/Portuguese into the English words the model was trained on (see lexicon.py). The gloss runs only on
text that looks es/pt (by counting common function words), so English tickets pass through unchanged and
a desk that trains on its own Spanish tickets gets the same treatment at training and prediction time.
"""

from __future__ import annotations

import re
import unicodedata

from classifier.lexicon import PHRASES, gloss_word

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_DIACRITIC = re.compile("[ãõñáíóú]")  # es/pt letters that French and German do not use


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Frequent function words. Chosen so that none of them is also a frequent English word.
_ES_PT = _words(
    "de la el los las que con para por una del al es esta estamos nuestro nuestra nuestros su sus mi mis "
    "se lo le como pero muy hemos tenemos desde cuando este esto sin sobre tambien ya y o e un uno "
    "nao com uma um os da dos das na em ao sua seu meu minha nosso nossa pelo pela foi temos estao "
    "voces voce isso esse essa sem mas muito quando tambem ja"
)
_EN = _words(
    "the and to of is in for with on my our we you this that have are be please it from has been "
    "was were can could would your i am at by not an will any"
)
# French and German words the lexicon might gloss: their own frequent words keep them from looking es/pt.
_FR = _words(
    "le les des et est pour vous nous une dans sur avec pas notre votre je il au aux ce cette qui "
    "der die das und ist nicht ich wir mit fur auf ein eine zu von den dem im bitte sie"
)
_PHRASE_RE = [(re.compile(rf"\b{re.escape(src)}\b"), dst) for src, dst in PHRASES]


def compose(*parts: str) -> str:
    """One text from a ticket's fields, e.g. subject and body (any may be empty)."""
    return ". ".join(p for p in (clean(part) for part in parts) if p)


def clean(text: str) -> str:
    """Literal ``\\n`` sequences (about 5% of the exported bodies) become spaces; whitespace is collapsed."""
    return _SPACES.sub(" ", text.replace("\\n", " ").replace("\\r", " ")).strip()


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def looks_es_pt(text: str) -> bool:
    """True when Spanish/Portuguese evidence outnumbers English (and French) function words: cheap, no
    model needed, and good enough because glossing an English word mostly yields the same English word.
    Evidence: es/pt function words, words with es/pt diacritics, and words the lexicon translates."""
    lowered = text.lower()
    romance = sum(1 for w in _WORD.findall(lowered) if _DIACRITIC.search(w))
    words = strip_accents(lowered).split()
    romance += sum(w in _ES_PT for w in words)
    romance += sum(
        1
        for w in _WORD.findall(" ".join(words))
        if len(w) > 3 and w not in _ES_PT and (g := gloss_word(w)) is not None and g != w
    )
    others = max(sum(w in _EN for w in words), sum(w in _FR for w in words))
    return romance >= 2 and romance > others


def gloss(text: str) -> str:
    """Word-by-word English gloss of es/pt text; unknown words (names, cognates) are kept as they are."""
    flat = strip_accents(text.lower())
    for pattern, dst in _PHRASE_RE:
        flat = pattern.sub(dst, flat)
    return _WORD.sub(lambda m: gloss_word(m.group(0)) or m.group(0), flat)


def prepare(text: str, language: str | None = None) -> str:
    """The model's view of a text: cleaned, and glossed into English when it is (or looks) es/pt."""
    text = clean(text)
    lang = (language or "").lower()[:2]
    if lang in ("es", "pt") or (lang in ("", "un") and looks_es_pt(text)):
        return gloss(text)
    return text
