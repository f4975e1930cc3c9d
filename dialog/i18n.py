"""Message catalogs: every text the user sees, and every word the engine recognises, per language.

One YAML file per language (dialog/locales/{en,es,pt}.yaml) with three parts:

``texts``
    user-facing messages, ``str.format`` placeholders (``{ref}``); all catalogs must have the same keys with
    the same placeholders (checked at load time and by a test), so a translator cannot silently drop one.
``lexicon``
    lists of phrases the engine recognises (commands, yes/no, greetings, dates). They are matched in their
    canonical form (see :func:`dialog.text.canonical`), so accents and case do not matter. Recognition uses
    the lexicons of *all* languages: a Spanish speaker answering "yes" in a Portuguese conversation is
    understood.
``date_order``
    ``dmy`` or ``mdy``: how the user writes numeric dates.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from dialog.settings import SUPPORTED_LANGUAGES
from dialog.text import canonical

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


class CatalogError(ValueError):
    """A catalog is missing, malformed or inconsistent with the others (the message says which)."""


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@dataclass(frozen=True, slots=True)
class Catalog:
    language: str
    texts: Mapping[str, str]
    lexicon: Mapping[str, tuple[str, ...]]
    date_order: str = "dmy"


def _read_catalog(language: str, raw: Any, source: str) -> Catalog:
    if not isinstance(raw, dict) or not isinstance(raw.get("texts"), dict):
        raise CatalogError(f"{source}: expected a mapping with 'texts' and 'lexicon'")
    # YAML 1.1 reads unquoted yes/no/on/off as booleans: refuse them rather than store "True".
    for key, value in raw["texts"].items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise CatalogError(f"{source}: texts.{key} must be a string key with a string value (quote it)")
    texts = {str(k): str(v) for k, v in raw["texts"].items()}
    lexicon: dict[str, tuple[str, ...]] = {}
    for key, phrases in (raw.get("lexicon") or {}).items():
        if not isinstance(key, str) or not isinstance(phrases, list) \
                or not all(isinstance(p, str) for p in phrases):
            raise CatalogError(f"{source}: lexicon.{key} must be a list of quoted phrases")
        # Patterns (keys ending in _re) are regular expressions and are folded, not canonicalised.
        if str(key).endswith("_re"):
            lexicon[str(key)] = tuple(str(p) for p in phrases)
        else:
            lexicon[str(key)] = tuple(c for c in (canonical(str(p)) for p in phrases) if c)
    order = str(raw.get("date_order", "dmy"))
    if order not in ("dmy", "mdy"):
        raise CatalogError(f"{source}: date_order must be dmy or mdy")
    return Catalog(language, texts, lexicon, order)


class Catalogs:
    """All catalogs, with lookups that fall back to the default language (never to a key in code)."""

    def __init__(self, catalogs: Mapping[str, Catalog], default: str = "en") -> None:
        if default not in catalogs:
            raise CatalogError(f"no catalog for the default language {default!r}")
        self._catalogs = dict(catalogs)
        self.default = default
        self.languages = tuple(catalogs)

    @classmethod
    def load(cls, directory: Path | None = None, languages: Iterable[str] = SUPPORTED_LANGUAGES,
             default: str = "en", strict: bool = True) -> Catalogs:
        """Load ``<lang>.yaml`` for each language; with ``strict`` an inconsistent set fails fast."""
        catalogs: dict[str, Catalog] = {}
        for lang in languages:
            name = f"{lang}.yaml"
            if directory is None:
                source = resources.files("dialog").joinpath("locales", name)
                content = source.read_text(encoding="utf-8")
            else:
                path = Path(directory) / name
                if not path.is_file():
                    raise CatalogError(f"missing catalog {path}")
                content = path.read_text(encoding="utf-8")
            try:
                raw = yaml.load(content, Loader=_Loader)
            except yaml.YAMLError as exc:
                raise CatalogError(f"{name}: {exc}") from exc
            catalogs[lang] = _read_catalog(lang, raw, name)
        result = cls(catalogs, default)
        if strict and (problems := result.problems()):
            raise CatalogError("; ".join(problems))
        return result

    def problems(self) -> list[str]:
        """Keys missing from a catalog and placeholder mismatches, compared with the default catalog."""
        out: list[str] = []
        base = self._catalogs[self.default]
        for lang, cat in self._catalogs.items():
            for key in sorted(set(base.texts) ^ set(cat.texts)):
                where = lang if key in base.texts else self.default
                out.append(f"text {key!r} missing in {where}")
            for key in sorted(set(base.texts) & set(cat.texts)):
                if placeholders(base.texts[key]) != placeholders(cat.texts[key]):
                    out.append(f"text {key!r}: placeholders differ between {self.default} and {lang}")
            for key in sorted(set(base.lexicon) ^ set(cat.lexicon)):
                where = lang if key in base.lexicon else self.default
                out.append(f"lexicon {key!r} missing in {where}")
        return out

    def catalog(self, lang: str) -> Catalog:
        return self._catalogs.get(lang) or self._catalogs[self.default]

    def has_text(self, key: str) -> bool:
        return key in self._catalogs[self.default].texts

    def t(self, lang: str, key: str, **params: Any) -> str:
        template = self.catalog(lang).texts.get(key)
        if template is None:
            template = self._catalogs[self.default].texts[key]
        return template.format(**params)

    def words(self, key: str, lang: str | None = None) -> tuple[str, ...]:
        """Canonical phrases of a lexicon entry, of one language or of all (deduplicated, in order)."""
        langs = [lang] if lang else list(self._catalogs)
        seen: dict[str, None] = {}
        for code in langs:
            for phrase in self.catalog(code).lexicon.get(key, ()):
                seen.setdefault(phrase)
        return tuple(seen)

    def phrases(self, key: str) -> list[tuple[str, str]]:
        """(language, canonical phrase) pairs of a lexicon entry across all catalogs."""
        return [(code, p) for code, cat in self._catalogs.items() for p in cat.lexicon.get(key, ())]

    # Display helpers: names of things that come from data (statuses, priorities; category names come
    # from the taxonomy file).

    def status_name(self, lang: str, status: str) -> str:
        key = f"ticket_status.{status}"
        return self.t(lang, key) if self.has_text(key) else status.replace("_", " ")

    def priority_name(self, lang: str, priority: str) -> str:
        key = f"priority.{priority}"
        return self.t(lang, key) if self.has_text(key) else priority

    def format_datetime(self, lang: str, moment: datetime, tz: str) -> str:
        local = moment.astimezone(_zone(tz))
        return self.t(lang, "format.datetime", year=local.year, month=local.month, day=local.day,
                      hour=local.hour, minute=local.minute, tz=local.tzname() or tz)

    def format_since(self, lang: str, moment: datetime, tz: str, now: datetime) -> str:
        """"since 08:15" in the desk's time zone; "since 12/05 08:15" when that is not today there."""
        zone = _zone(tz)
        local, today = moment.astimezone(zone), now.astimezone(zone).date()
        key = "since.today" if local.date() == today else "since.day"
        return self.t(lang, key, month=local.month, day=local.day, hour=local.hour, minute=local.minute)

    def format_duration(self, lang: str, delta: timedelta) -> str:
        minutes = max(0, round(delta.total_seconds() / 60))
        if minutes < 60:
            return self.t(lang, "duration.minutes", n=max(1, minutes))
        hours = round(minutes / 60)
        if hours < 48:
            return self.t(lang, "duration.hour" if hours == 1 else "duration.hours", n=hours)
        days = round(hours / 24)
        return self.t(lang, "duration.days", n=days)


def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):  # no tz database on this host: UTC rather than a crash
        return UTC
