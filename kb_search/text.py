"""Language-aware analysis for the lexical index: normalise, tokenise, drop stop words, stem.

Why each step: users type without accents ("contrasena", "nao consigo"), with typos ("pasword") and in
colloquial forms ("impresoras", "imprimindo"); articles are written properly. Folding accents and snowball
stemming on both sides make those forms meet. A small edit-distance corrector maps unknown query words to
the closest word that actually occurs in the indexed articles, so a typo does not zero the keyword score.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import Stemmer
from bm25s import stopwords as _sw

SNOWBALL = {
    "es": "spanish",
    "pt": "portuguese",
    "en": "english",
    "de": "german",
    "fr": "french",
    "it": "italian",
}
_STOPWORDS = {
    "es": _sw.STOPWORDS_SPANISH,
    "pt": _sw.STOPWORDS_PORTUGUESE,
    "en": _sw.STOPWORDS_EN_PLUS,
    "de": _sw.STOPWORDS_GERMAN,
    "fr": _sw.STOPWORDS_FRENCH,
    "it": _sw.STOPWORDS_ITALIAN,
}
# Words that every ticket or greeting carries and that say nothing about the problem.
_EXTRA_STOP = {
    "es": "hola buenas buenos dias tardes gracias favor porfa ayuda ayudar necesito quiero puedo pueden "
    "estimado estimada equipo soporte saludos atentamente usted ustedes",
    "pt": "ola oi bom dia boa tarde obrigado obrigada favor ajuda ajudar preciso quero posso podem "
    "prezado prezada equipe suporte atenciosamente voce voces",
    "en": "hi hello hey thanks thank please help need want dear team support regards kind sincerely",
    "de": "hallo danke bitte hilfe sehr geehrte geehrter team support",
    "fr": "bonjour merci aide besoin cher chere equipe support cordialement",
}
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_PLACEHOLDER = re.compile(r"<[^<>\s]{1,30}>")


def fold(text: str) -> str:
    """Lower-case and strip accents ("Contraseña" -> "contrasena"); also turns literal "\\n" into spaces."""
    text = text.replace("\\n", " ")
    text = _PLACEHOLDER.sub(" ", text)
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=16)
def _stop_set(language: str) -> frozenset[str]:
    words = {fold(w) for w in _STOPWORDS.get(language, ())}
    words.update(_EXTRA_STOP.get(language, "").split())
    return frozenset(words)


class Analyzer:
    """Turns text into stemmed index terms for one language (unknown languages: no stemming)."""

    def __init__(self, language: str) -> None:
        self.language = language
        algo = SNOWBALL.get(language)
        self._stemmer = Stemmer.Stemmer(algo) if algo else None
        self._stop = _stop_set(language)

    def words(self, text: str) -> list[str]:
        """Folded surface words without stop words (hyphenated words also give their parts)."""
        out: list[str] = []
        for tok in _TOKEN.findall(fold(text)):
            parts = (
                [tok]
                if "-" not in tok and "'" not in tok
                else [tok.replace("-", ""), *re.split(r"[-']", tok)]
            )
            out.extend(p for p in parts if p and p not in self._stop and (len(p) > 1 or p.isdigit()))
        return out

    def stem(self, words: list[str]) -> list[str]:
        return self._stemmer.stemWords(words) if self._stemmer else list(words)

    def terms(self, text: str) -> list[str]:
        return self.stem(self.words(text))


class Corrector:
    """Typo correction against the vocabulary of the indexed articles (symmetric-delete, distance <= 2).

    Only words that are absent from the vocabulary are corrected, and only to a word that is present, so
    correct queries are never changed. Ties go to the most frequent vocabulary word.
    """

    def __init__(self, vocabulary: Iterable[str], min_len: int = 4) -> None:
        self._freq: Counter[str] = Counter(w for w in vocabulary if len(w) >= min_len and not w.isdigit())
        self._min_len = min_len
        self._deletes: dict[str, list[str]] = {}
        for word in self._freq:
            for variant in self._variants(word):
                self._deletes.setdefault(variant, []).append(word)

    @staticmethod
    def _variants(word: str) -> set[str]:
        one = {word[:i] + word[i + 1 :] for i in range(len(word))}
        return {word} | one

    def known(self, word: str) -> bool:
        return word in self._freq

    def correct(self, word: str) -> str:
        if len(word) < self._min_len or word.isdigit() or word in self._freq:
            return word
        best: tuple[int, int, str] | None = None
        for variant in self._variants(word):
            for cand in self._deletes.get(variant, ()):
                dist = _damerau(word, cand)
                limit = 1 if len(word) < 7 else 2
                if dist <= limit:
                    key = (dist, -self._freq[cand], cand)
                    if best is None or key < best:
                        best = key
        return best[2] if best else word


def _damerau(a: str, b: str) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap adjacent)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]
