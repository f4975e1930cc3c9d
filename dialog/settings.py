"""Knobs of the conversation engine.

A plain frozen dataclass (no pydantic) because dialog/ stays free of framework imports; the composition root
maps its ATENDE_* settings onto this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

SUPPORTED_LANGUAGES = ("en", "es", "pt")


@dataclass(frozen=True, slots=True)
class EngineSettings:
    #: Language used until the user's language is known, and for users writing an unsupported one.
    default_language: str = "en"
    #: Below this category confidence the engine asks one clarifying question (top 3 categories + other).
    confidence_threshold: float = 0.5
    #: An unfinished report older than this is kept as a draft and offered for resume.
    idle_timeout: timedelta = timedelta(minutes=30)
    #: Longer user texts are cut here (for classification, storage and the transcript); the user is told.
    max_text_chars: int = 4000
    #: A description shorter than this gets one "could you tell me more?" before classification.
    min_description_chars: int = 12
    #: Articles offered before opening a ticket (at most).
    kb_suggestions: int = 3
    #: After this many invalid answers to the same question the engine records "unknown" and moves on.
    max_invalid_answers: int = 2
    #: Category used for "other" and when nothing else is known.
    fallback_category: str = "other"
    #: The desk's category set (names, playbooks, usual type); None uses dialog/taxonomy/it.yaml.
    taxonomy_file: Path | None = None
    #: Reports in these categories that block the user are filed with at least team impact, so a blocking
    #: security incident or outage is never below P2 (impact team x urgency high in the default matrix).
    escalate_categories: tuple[str, ...] = ("security", "outage")
    #: Folder of playbook YAML files; None uses the ones shipped in dialog/playbooks.
    playbooks_dir: Path | None = None
    #: Folder of message catalogs; None uses dialog/locales.
    locales_dir: Path | None = None
    #: Transcript lines kept per report (the oldest are dropped beyond this).
    transcript_limit: int = 200
    #: Time zone for dates shown to users (IANA name).
    timezone: str = "UTC"
    #: A message switches the conversation's language (even after the user chose one) when the detector is
    #: at least this confident and it has at least this many words: "sim" or "ok" never switch.
    clear_language_confidence: float = 0.7
    clear_language_words: int = 4
    #: Name the bot introduces itself with.
    bot_name: str = "Atende"
    #: The desk's hours as told to a user whose handoff nobody took in time: (language, text) pairs, "*"
    #: for every language; none: the catalogs' generic wording.
    desk_hours: tuple[tuple[str, str], ...] = ()
