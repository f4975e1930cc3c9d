"""LanguageDetector port implemented with lingua-language-detector (models ship inside the wheel).

The detector knows a few languages beyond the supported three (fr, de, it by default) so that a message in
one of them is recognised as *unsupported* instead of being forced into es/pt/en. Short or ambiguous input
("ok", "sim", "hola") returns None: the engine then falls back to its word lists and the channel's hint.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

DEFAULT_LANGUAGES = ("en", "es", "pt", "fr", "de", "it")


class LinguaDetector:
    def __init__(
        self,
        languages: Iterable[str] = DEFAULT_LANGUAGES,
        min_confidence: float = 0.5,
        min_letters: int = 4,
        preload: bool = False,
        min_margin: float = 0.1,
        floor: float = 0.35,
    ) -> None:
        """A language is returned when its confidence reaches ``min_confidence``, or when it reaches
        ``floor`` and leads the runner-up by ``min_margin`` (short Spanish/Portuguese sentences often
        split the mass between the two and Italian)."""
        self.languages = tuple(languages)
        self.min_confidence = min_confidence
        self.min_margin = min_margin
        self.floor = floor
        self.min_letters = min_letters
        self._preload = preload
        self._detector: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        """Built once, on first use (a few hundred ms; the models themselves load lazily per language)."""
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                    langs = [
                        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
                        for code in self.languages
                    ]
                    builder = LanguageDetectorBuilder.from_languages(*langs)
                    if self._preload:
                        builder = builder.with_preloaded_language_models()
                    self._detector = builder.build()
        return self._detector

    def detect(self, text: str) -> tuple[str | None, float]:
        if sum(ch.isalpha() for ch in text) < self.min_letters:
            return None, 0.0
        values = self._build().compute_language_confidence_values(text)
        if not values:
            return None, 0.0
        best = values[0]
        confidence = float(best.value)
        runner_up = float(values[1].value) if len(values) > 1 else 0.0
        clear_lead = confidence >= self.floor and confidence - runner_up >= self.min_margin
        if confidence < self.min_confidence and not clear_lead:
            return None, confidence
        return str(best.language.iso_code_639_1.name).lower(), confidence
